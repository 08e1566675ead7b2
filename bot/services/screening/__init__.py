"""Self-check questionnaires in chat: one item per message, resumable, safety first.

A safety answer (PHQ-A item 9 above 0, any ASQ "yes") acts the moment it is given: the safety
reply and a case in the counsellor queue, committed with the answer itself, so stopping the
questionnaire afterwards undoes nothing. Results are screening (筛查/测评), never a diagnosis.

Split by what the person does (choosing.py, starting.py, answering.py, resuming.py) and what
a form leads to (results.py, cases.py); `Screening` (facade.py) is what the handlers call.
"""

from bot.services.screening.cases import case_offer, evidence
from bot.services.screening.choosing import offered_to
from bot.services.screening.desk import STALE
from bot.services.screening.facade import Screening
from bot.services.screening.items import Step, item_reply, next_step
from bot.services.screening.results import summary_reply

__all__ = [
    "STALE",
    "Screening",
    "Step",
    "case_offer",
    "evidence",
    "item_reply",
    "next_step",
    "offered_to",
    "summary_reply",
]
