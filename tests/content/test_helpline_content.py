"""The referral directory and canned replies validate, fit in button data, and are translated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalog.helpline import HelplineContentError, load_canned, load_directory
from bot.domain.case_actions import PreviewCanned, ReferTo, SendCanned
from content import CONTENT_DIR
from tests import shipped

BIG_CASE = 9_999_999  # callback data must fit even for the ten-millionth case


def test_directory_has_national_services_and_regions_fall_back() -> None:
    directory = load_directory(CONTENT_DIR)
    national = directory.for_region(None)
    assert {"l12356", "police", "psyclinic"} <= {r.id for r in national}
    county = directory.for_region("example-county")
    local = county[: len(county) - len(national)]
    assert local[0].id == "ex-clinic" and county[len(local) :] == list(national)
    assert directory.get("nope") is None


# 民发〔2023〕61号 二（六）: the services a family can be referred to, found in every county.
POLICY_SERVICES = {
    "psyhosp": "精神卫生医疗机构",
    "childhosp": "妇幼保健院",
    "youthcentre": "未成年人心理健康辅导中心",
    "kidshome": "儿童之家",
    "swstation": "社工站",
    "parentschool": "家长学校",
}


def test_the_services_the_policy_names_are_in_the_directory_and_the_example_county() -> None:
    catalog = shipped.catalog()
    zh = catalog.translations["zh_Hans"]
    directory = load_directory(CONTENT_DIR)
    national = {r.id: r for r in directory.for_region(None)}
    for rid, word in POLICY_SERVICES.items():
        assert word in zh.gettext(national[rid].name), rid
        assert national[rid].note and zh.gettext(national[rid].note) != national[rid].note
    example = directory.regions["example-county"]
    assert {r.id for r in example} >= {f"ex-{rid}" for rid in POLICY_SERVICES}
    for r in example:
        # An example is never mistaken for a real service, and never carries a made-up number.
        assert "(example – replace)" in r.name and "示例，请替换" in zh.gettext(r.name), r.id
        assert r.phone == "", r.id
        assert r.note.startswith("Replace") and zh.gettext(r.note).startswith("请替换"), r.id


def test_every_button_fits_telegram_callback_data() -> None:
    ids = [r.id for r in load_directory(CONTENT_DIR).for_region("example-county")]
    canned = [c.id for c in load_canned(CONTENT_DIR)]
    # pack() refuses what Telegram would not keep, and an id it could not read back.
    data = [ReferTo(BIG_CASE, i).pack() for i in ids]
    data += [PreviewCanned(BIG_CASE, c).pack() for c in canned]
    # The ✅ under a ready reply's preview carries its one-time token (casework.preview_canned).
    data += [SendCanned(BIG_CASE, c, "f" * 8).pack() for c in canned]
    assert max(len(d.encode()) for d in data) <= 64


def test_canned_and_resources_are_translated() -> None:
    catalog = shipped.catalog()
    for c in load_canned(CONTENT_DIR):
        zh = catalog.translations["zh_Hans"].gettext(c.text)
        assert zh != c.text and "诊断" not in zh
    for r in load_directory(CONTENT_DIR).for_region(None):
        assert catalog.translations["zh_Hans"].gettext(r.name) != r.name


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("referrals.yaml", "id: l12355", "id: l12356", "duplicate"),
        ("referrals.yaml", "kind: hotline", "kind: spaceship", "unknown kind"),
        ("referrals.yaml", "id: police", "id: Police Station", "bad id"),
        ("canned.yaml", "id: safe", "id: greet", "bad or duplicate"),
        ("canned.yaml", 'label: "Greeting"', 'label: ""', "label and text"),
    ],
)
def test_loader_names_the_problem(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    shutil.copytree(CONTENT_DIR / "helpline", tmp_path / "helpline")
    path = tmp_path / "helpline" / file
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    loader = load_directory if file == "referrals.yaml" else load_canned
    with pytest.raises(HelplineContentError, match=message):
        loader(tmp_path)
