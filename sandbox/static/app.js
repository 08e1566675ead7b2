// The sandbox page: one "phone" per pane, kept live through the /sandbox/events long poll.
"use strict";

const api = {
  async get(path) {
    const resp = await fetch(`/sandbox/${path}`);
    if (!resp.ok) throw new Error((await resp.json()).error || resp.statusText);
    return resp.json();
  },
  async post(path, body) {
    const resp = await fetch(`/sandbox/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.error || resp.statusText);
    return data;
  },
};

const TOPIC_COLORS = {
  7322096: "#6fb9f0", 16766590: "#ffd67e", 13338331: "#cb86db",
  9367192: "#8eee98", 16749490: "#ff93b2", 16478047: "#fb6f5f",
};
const users = new Map();
let bots = [];
let panes = [];
const extraPanes = []; // panes added on this page when it was opened with ?pane=
const pendingStarts = new Map(); // user id -> invitation to open once their pane exists
let seq = 0;
let autoConfig = true; // panes chosen by the sandbox, so new users and groups add panes

function esc(text) {
  return text.replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function safeUrl(url) {
  return /^(https?:|tg:)/i.test(url) ? url : "#";
}

// Rebuild formatting from text + entities (offsets are UTF-16, like JS strings).
function renderEntities(text, entities) {
  const list = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  const open = [];
  let out = "";
  let next = 0;
  const tags = (e) => {
    const slice = text.substr(e.offset, e.length);
    switch (e.type) {
      case "bold": return ["<b>", "</b>"];
      case "italic": return ["<i>", "</i>"];
      case "underline": return ["<u>", "</u>"];
      case "strikethrough": return ["<s>", "</s>"];
      case "spoiler": return ['<span class="spoiler">', "</span>"];
      case "code": return ["<code>", "</code>"];
      case "pre": return ["<pre>", "</pre>"];
      case "blockquote": case "expandable_blockquote": return ["<blockquote>", "</blockquote>"];
      case "text_link":
        return [`<a href="${esc(safeUrl(e.url || ""))}" target="_blank" rel="noopener">`, "</a>"];
      case "url":
        return [`<a href="${esc(safeUrl(slice))}" target="_blank" rel="noopener">`, "</a>"];
      case "mention": case "hashtag": case "bot_command": case "email":
        return ['<span class="link">', "</span>"];
      default: return ["", ""];
    }
  };
  for (let i = 0; i <= text.length; i++) {
    while (open.length && open[open.length - 1].offset + open[open.length - 1].length <= i) {
      out += tags(open.pop())[1];
    }
    while (next < list.length && list[next].offset === i) {
      open.push(list[next]);
      out += tags(list[next])[0];
      next++;
    }
    if (i < text.length) out += esc(text[i]);
  }
  return out;
}

// A start link to one of this sandbox's bots (https://t.me/<bot>?start=CODE, or
// tg://resolve?domain=<bot>&start=CODE) -> {bot, code}; any other link is just a link.
function invitation(href) {
  let name;
  let params;
  const tg = /^tg:(?:\/\/)?resolve\?(.*)$/i.exec(href || "");
  if (tg) {
    params = new URLSearchParams(tg[1]);
    name = params.get("domain") || "";
  } else {
    let url;
    try { url = new URL(href); } catch { return null; }
    if (!/^https?:$/.test(url.protocol)
        || !/^(t\.me|telegram\.me|telegram\.dog)$/i.test(url.hostname)) return null;
    name = url.pathname.split("/")[1] || "";
    params = url.searchParams;
  }
  const code = params.get("start");
  const bot = bots.find((b) => (b.username || "").toLowerCase() === name.toLowerCase());
  // Telegram passes only these characters (at most 64) as a start parameter.
  if (!bot || code === null || !/^[A-Za-z0-9_-]{0,64}$/.test(code)) return null;
  return { bot, code };
}

function userName(id) {
  const u = users.get(id);
  return u ? [u.first_name, u.last_name].filter(Boolean).join(" ") : String(id);
}

function serviceText(m) {
  const who = m.from ? m.from.first_name : "";
  if (m.new_chat_members) return `${m.new_chat_members.map((u) => u.first_name).join(", ")} joined`;
  if (m.left_chat_member) return `${m.left_chat_member.first_name} left`;
  if (m.forum_topic_created) return `${who} created the topic “${m.forum_topic_created.name}”`;
  if (m.forum_topic_edited) return `${who} edited the topic`;
  if (m.forum_topic_closed) return `${who} closed the topic`;
  if (m.forum_topic_reopened) return `${who} reopened the topic`;
  if (m.pinned_message) return `${who} pinned a message`;
  return null;
}

function preview(m) {
  return m.text || m.caption || (m.photo ? "Photo" : m.sticker ? "Sticker" : m.voice ? "Voice"
    : m.document ? "File" : m.location ? "Location" : "Message");
}

class Pane {
  constructor(config) {
    this.config = config;
    this.chatId = Number(config.chat_id);
    this.isGroup = this.chatId < 0;
    this.userIds = (config.user_ids || [config.user_id]).filter((x) => x != null).map(Number);
    this.userId = Number(config.user_id ?? this.userIds[0]);
    this.thread = 0; // 0 = General
    this.messages = new Map();
    this.topics = [];
    this.replyKeyboard = null;
    this.replyTo = null;
    this.editing = null;
    this.blocked = false;
    this.el = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.$ = (sel) => this.el.querySelector(sel);
    // Pictures, fonts and keyboards change heights after a render: whoever was reading the
    // newest message keeps it in view; whoever scrolled up stays where they were.
    const list = this.$(".messages");
    this.stick = true;
    list.addEventListener("scroll", () => {
      this.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    });
    this.sizes = new ResizeObserver(() => { if (this.stick) list.scrollTop = list.scrollHeight; });
    this.title = config.title || userName(this.userId);
    this.$(".pane-title").textContent = this.title;
    this.bind();
  }

  bind() {
    const form = this.$(".composer");
    const box = this.$("textarea");
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.sendText(); });
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.sendText();
      }
      if (ev.key === "Escape" && (this.editing || this.replyTo)) {
        if (this.editing) box.value = "";
        this.setReply(null);
      }
    });
    this.$(".sticker").addEventListener("click", () => this.send({ sticker: true }));
    this.$(".photo").addEventListener("click", () => this.send({ photo: true }));
    this.$(".voice").addEventListener("click", () => this.send({ voice: true }));
    this.$(".upload input").addEventListener("change", (ev) => this.upload(ev.target));
    this.$(".menu").addEventListener("click", () => this.toggleCommands());
    this.$(".reply-cancel").addEventListener("click", () => {
      if (this.editing) box.value = "";
      this.setReply(null);
    });
    this.$(".block-toggle").addEventListener("click", () => this.toggleBlock());
    const who = this.$(".who-select");
    who.addEventListener("change", () => { this.userId = Number(who.value); this.render(); });
    this.$(".messages").addEventListener("click", (ev) => {
      if (ev.target.classList.contains("spoiler")) ev.target.classList.add("shown");
      const link = ev.target.closest("a[href]");
      const invite = link && invitation(link.getAttribute("href"));
      if (invite) {
        ev.preventDefault();
        this.pickInvitee(invite);
      }
    });
  }

  async load() {
    this.$(".pane-sub").textContent = this.isGroup ? "group" : `as ${userName(this.userId)}`;
    if (this.isGroup && this.userIds.length > 1) {
      const who = this.$(".who-select");
      who.replaceChildren(...this.userIds.map((id) => new Option(userName(id), id)));
      who.value = String(this.userId);
      this.$(".who").hidden = false;
    }
    this.$(".block-toggle").hidden = this.isGroup;
    try {
      const view = await api.get(`chats/${this.chatId}/messages`);
      this.messages = new Map(view.messages.map((m) => [m.message_id, m]));
      this.replyKeyboard = view.reply_keyboard;
    } catch {
      this.messages = new Map(); // a private chat exists only after the first message
    }
    if (this.isGroup) {
      try { this.topics = await api.get(`chats/${this.chatId}/topics`); } catch { this.topics = []; }
    }
    this.render();
  }

  async send(fields) {
    const body = { user_id: this.userId, chat_id: this.chatId, ...fields };
    if (this.isGroup && this.thread) body.message_thread_id = this.thread;
    if (this.replyTo) body.reply_to_message_id = this.replyTo;
    try {
      await api.post("send", body);
      this.setReply(null);
    } catch (err) {
      this.toast(`⚠ ${err.message}`);
    }
  }

  sendText() {
    const box = this.$("textarea");
    const text = box.value;
    if (!text.trim()) return;
    box.value = "";
    if (this.editing) this.edit(this.editing, text); else this.send({ text });
  }

  async edit(message, text) {
    try {
      await api.post("edit", {
        user_id: this.userId, chat_id: this.chatId, message_id: message.message_id, text,
      });
      this.setReply(null);
    } catch (err) {
      this.toast(`⚠ ${err.message}`);
    }
  }

  // Who opens an invitation the page cannot place: another phone on the page, or a new one.
  pickInvitee(invite) {
    this.el.querySelector(".picker")?.remove();
    const box = document.createElement("div");
    box.className = "picker";
    box.setAttribute("role", "dialog");
    const choice = (label, act) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", () => { box.remove(); if (act) act(); });
      return b;
    };
    const others = panes.filter((p) => !p.isGroup && p.userId !== this.userId);
    const cancel = choice("Cancel");
    cancel.className = "cancel";
    box.append(
      Object.assign(document.createElement("p"), { textContent: "Open this invitation as:" }),
      ...others.map((p) => Object.assign(choice(`→ ${p.title}`, () => p.start(invite)),
        { value: String(p.userId) })),
      Object.assign(choice("➕ A new person, in a new pane", () => this.inviteNew(invite)),
        { value: "new" }),
      cancel,
    );
    this.el.append(box);
  }

  async inviteNew(invite) {
    const language = (users.get(this.userId) || {}).language_code || "";
    const n = users.size + 1;
    try {
      const user = await api.post("users", {
        first_name: language.startsWith("zh") ? `新朋友${n}` : `Guest ${n}`,
        language_code: language || undefined,
      });
      users.set(user.id, user);
      pendingStarts.set(user.id, invite);
      await addPane({ title: user.first_name, user_id: user.id, chat_id: user.id });
    } catch (err) {
      this.toast(`⚠ ${err.message}`);
    }
  }

  // Opening a start link in Telegram sends "/start CODE" from the person who opened it.
  async start(invite) {
    this.el.scrollIntoView({ block: "nearest", inline: "nearest" });
    this.el.classList.remove("flash");
    void this.el.offsetWidth; // restart the highlight when the same pane is chosen again
    this.el.classList.add("flash");
    try {
      await api.post("send", {
        user_id: this.userId, chat_id: this.userId, bot_id: invite.bot.id,
        text: invite.code ? `/start ${invite.code}` : "/start",
      });
    } catch (err) {
      this.toast(`⚠ ${err.message}`);
    }
  }

  upload(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => this.send({ photo: String(reader.result).split(",", 2)[1] });
    reader.readAsDataURL(file);
    input.value = "";
  }

  async toggleCommands() {
    const box = this.$(".commands");
    if (!box.hidden) { box.hidden = true; return; }
    const menu = await api.get(`bot-commands?user_id=${this.userId}&chat_id=${this.chatId}`);
    const commands = menu.commands;
    box.replaceChildren(...(commands.length ? commands.map((c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.innerHTML = `<b>/${esc(c.command)}</b>${esc(c.description)}`;
      b.addEventListener("click", () => { box.hidden = true; this.send({ text: `/${c.command}` }); });
      return b;
    }) : [Object.assign(document.createElement("div"), { textContent: "No commands set." })]));
    box.hidden = false;
  }

  async toggleBlock() {
    try {
      await api.post("block", { user_id: this.userId, blocked: !this.blocked });
    } catch (err) { this.toast(`⚠ ${err.message}`); }
  }

  setReply(message, editing = false) {
    this.replyTo = message && !editing ? message.message_id : null;
    this.editing = message && editing ? message : null;
    this.$(".reply-bar").hidden = !message;
    if (message) {
      this.$(".reply-text").textContent = `${editing ? "✎ Editing:" : "↩"} ${preview(message)}`;
    }
  }

  setEdit(message) {
    this.setReply(message, true);
    const box = this.$("textarea");
    box.value = message.text;
    box.focus();
  }

  toast(text, alert = false) {
    if (alert) {
      const box = document.getElementById("alert");
      box.querySelector(".alert-text").textContent = text;
      box.hidden = false;
      box.querySelector("button").onclick = () => { box.hidden = true; };
      return;
    }
    const el = this.$(".toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { el.hidden = true; }, 2500);
  }

  typing(action) {
    const el = this.$(".status-line");
    el.textContent = action === "typing" ? "bot is typing…" : `bot: ${action.replace(/_/g, " ")}…`;
    el.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { el.hidden = true; }, 3000);
  }

  async press(message, button) {
    try {
      await api.post("press", {
        user_id: this.userId, chat_id: this.chatId,
        message_id: message.message_id, data: button.callback_data,
      });
    } catch (err) {
      this.toast(`⚠ ${err.message}`);
    }
  }

  visible(m) {
    if (!this.isGroup || !this.topics.length) return true;
    return (m.message_thread_id || 0) === this.thread;
  }

  render() {
    this.renderTopics();
    const list = this.$(".messages");
    list.replaceChildren();
    if (this.blocked) {
      list.append(Object.assign(document.createElement("div"),
        { className: "banner", textContent: "You blocked this bot." }));
    }
    for (const m of this.messages.values()) {
      if (this.visible(m)) list.append(this.renderMessage(m));
    }
    this.$(".block-toggle").textContent = this.blocked ? "Unblock bot" : "Block bot";
    this.renderReplyKeyboard();
    this.sizes.disconnect();
    for (const el of [list, ...list.children]) this.sizes.observe(el);
    if (this.stick) list.scrollTop = list.scrollHeight;
  }

  renderTopics() {
    const nav = this.$(".topics");
    nav.hidden = !this.isGroup || !this.topics.length;
    if (nav.hidden) return;
    const make = (id, label, color) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = id === this.thread ? "active" : "";
      if (color) {
        const dot = document.createElement("span");
        dot.className = "dot";
        dot.style.background = TOPIC_COLORS[color] || "#999";
        b.append(dot);
      }
      b.append(label);
      b.addEventListener("click", () => {
        this.thread = id;
        this.stick = true;
        this.setReply(null);
        this.render();
      });
      return b;
    };
    nav.replaceChildren(make(0, "# General"), ...this.topics.map(
      (t) => make(t.message_thread_id, `${t.closed ? "🔒 " : ""}${t.name}`, t.icon_color)));
  }

  renderMessage(m) {
    const service = serviceText(m);
    if (service) {
      return Object.assign(document.createElement("div"), { className: "service", textContent: service });
    }
    const mine = m.from && m.from.id === this.userId && !m.from.is_bot;
    const wrap = document.createElement("div");
    wrap.className = `msg ${mine ? "mine" : "theirs"}`;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    let html = "";
    if (this.isGroup && !mine && m.from) html += `<div class="sender">${esc(m.from.first_name)}</div>`;
    const quoted = m.reply_to_message;
    if (quoted && !quoted.forum_topic_created) {
      html += `<div class="reply-quote">${esc(preview(quoted))}</div>`;
    }
    if (m.photo) html += `<img alt="photo" src="/sandbox/files/${encodeURIComponent(m.photo[m.photo.length - 1].file_id)}">`;
    if (m.sticker) html += `<img class="sticker" alt="${esc(m.sticker.emoji || "sticker")}" src="/sandbox/files/${encodeURIComponent(m.sticker.file_id)}">`;
    if (m.voice) html += `<div>🎤 Voice message · 0:${String(m.voice.duration).padStart(2, "0")}</div>`;
    if (m.document) html += `<div>📄 ${esc(m.document.file_name || "file")}</div>`;
    if (m.location) html += `<div>📍 Location · ${esc(String(m.location.latitude))}, ${esc(String(m.location.longitude))}</div>`;
    if (m.forward_origin) html += `<div class="sender">Forwarded</div>`;
    if (m.text) html += renderEntities(m.text, m.entities);
    if (m.caption) html += renderEntities(m.caption, m.caption_entities);
    const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    html += `<div class="meta">${m.edit_date ? "edited · " : ""}${time}</div>`;
    bubble.innerHTML = html;
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply-link";
    reply.textContent = "↩ reply";
    reply.addEventListener("click", () => this.setReply(m));
    const links = document.createElement("div");
    links.className = "msg-links";
    links.append(reply);
    if (mine && m.text) {
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "reply-link edit-link";
      edit.textContent = "✎ edit";
      edit.addEventListener("click", () => this.setEdit(m));
      links.append(edit);
    }
    wrap.append(bubble);
    const keyboard = m.reply_markup && m.reply_markup.inline_keyboard;
    if (keyboard) wrap.append(this.renderInline(m, keyboard));
    wrap.append(links);
    return wrap;
  }

  renderInline(message, rows) {
    const box = document.createElement("div");
    box.className = "inline-kb";
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "kb-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.text;
        if (button.callback_data !== undefined) {
          b.addEventListener("click", () => this.press(message, button));
        } else if (button.url) {
          b.className = "url";
          const invite = invitation(button.url);
          b.addEventListener("click", () => (invite ? this.pickInvitee(invite)
            : window.open(safeUrl(button.url), "_blank", "noopener")));
        } else {
          b.disabled = true;
        }
        line.append(b);
      }
      box.append(line);
    }
    return box;
  }

  renderReplyKeyboard() {
    const box = this.$(".reply-keyboard");
    const kb = this.replyKeyboard;
    box.hidden = !kb || !kb.keyboard;
    if (box.hidden) return;
    box.replaceChildren(...kb.keyboard.map((row) => {
      const line = document.createElement("div");
      line.className = "kb-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.text;
        b.addEventListener("click", () => {
          this.send({ text: button.text });
          if (kb.one_time_keyboard) { this.replyKeyboard = null; this.renderReplyKeyboard(); }
        });
        line.append(b);
      }
      return line;
    }));
    if (kb.input_field_placeholder) this.$("textarea").placeholder = kb.input_field_placeholder;
  }

  // true when the event concerns this pane's chat
  owns(event) {
    return event.chat_id === this.chatId;
  }

  apply(event) {
    switch (event.type) {
      case "message":
      case "edited":
        this.messages.set(event.message.message_id, event.message);
        if (event.type === "message" && event.from_bot && event.reply_keyboard !== undefined
            && event.reply_keyboard !== null) {
          this.replyKeyboard = event.reply_keyboard.keyboard ? event.reply_keyboard : null;
        }
        break;
      case "deleted":
        for (const id of event.message_ids) this.messages.delete(id);
        break;
      case "topic":
        if (event.action === "deleted") {
          this.topics = this.topics.filter((t) => t.message_thread_id !== event.topic.message_thread_id);
          if (this.thread === event.topic.message_thread_id) this.thread = 0;
        } else {
          const i = this.topics.findIndex((t) => t.message_thread_id === event.topic.message_thread_id);
          if (i >= 0) this.topics[i] = event.topic; else this.topics.push(event.topic);
        }
        break;
      case "callback_answer":
        if (event.user_id === this.userId && event.text) this.toast(event.text, event.show_alert);
        return;
      case "chat_action":
        this.typing(event.action);
        return;
      case "blocked":
        if (event.user_id === this.userId) this.blocked = event.blocked;
        break;
      default:
        return;
    }
    this.render();
  }
}

function panesFromQuery() {
  const params = new URLSearchParams(location.search);
  return params.getAll("pane").map((spec) => {
    const [title, user, chat, ids] = spec.split("|");
    const pane = { title, user_id: Number(user), chat_id: Number(chat || user) };
    if (ids) pane.user_ids = ids.split(",").map(Number);
    return pane;
  });
}

async function loadUsers() {
  for (const u of await api.get("users")) users.set(u.id, u);
}

// A pane for someone new: kept by the sandbox's demo configuration, so it survives a reload,
// unless this page chose its panes itself (?pane=).
async function addPane(pane) {
  if (panesFromQuery().length) {
    extraPanes.push(pane);
    await setup();
  } else {
    await api.post("demo-config/panes", pane); // every open page rebuilds on demo_config
  }
}

async function setup() {
  bots = await api.get("bots");
  if (bots.length) {
    document.getElementById("bot-name").textContent = bots[0].first_name;
    document.title = `${bots[0].first_name} · Telegram sandbox`;
  }
  await loadUsers();
  const config = await api.get("demo-config");
  const fromQuery = panesFromQuery();
  autoConfig = !fromQuery.length && !config.configured;
  const intro = document.getElementById("intro");
  intro.textContent = config.intro || "";
  intro.hidden = !config.intro;
  panes = (fromQuery.length ? [...fromQuery, ...extraPanes] : config.panes).map((c) => new Pane(c));
  document.getElementById("panes").replaceChildren(...panes.map((p) => p.el));
  document.getElementById("empty").hidden = panes.length > 0;
  const chats = await api.get("chats");
  for (const pane of panes) {
    const chat = chats.find((c) => c.chat.id === pane.chatId && (pane.isGroup || c.bot_id));
    pane.blocked = Boolean(chat && chat.blocked);
    await pane.load();
  }
  for (const pane of panes) {
    const invite = pendingStarts.get(pane.userId);
    if (invite && !pane.isGroup) {
      pendingStarts.delete(pane.userId);
      await pane.start(invite);
    }
  }
}

async function follow() {
  for (;;) {
    try {
      const feed = await api.get(`events?since=${seq}&timeout=25`);
      seq = feed.last_seq;
      for (const event of feed.events) {
        if (event.type === "reset" || event.type === "demo_config" || event.type === "chat") {
          await setup();
          continue;
        }
        if (event.type === "user") {
          users.set(event.user.id, event.user);
          if (autoConfig) await setup();
          continue;
        }
        for (const pane of panes) if (pane.owns(event)) pane.apply(event);
      }
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1000)); // the sandbox may be restarting
    }
  }
}

api.get("events").then((feed) => {
  seq = feed.last_seq; // taken before loading, so nothing that happens meanwhile is missed
  return setup();
}).then(follow).catch((err) => {
  document.getElementById("empty").hidden = false;
  document.getElementById("empty").textContent = `Could not load the sandbox: ${err.message}`;
});
