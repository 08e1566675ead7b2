// The demo's controls ("this week's lesson now", "move the clock"), served by `python -m bot
// demo` under /demo/control. On a plain sandbox the route is missing and the panel stays hidden.
"use strict";

(() => {
  const panel = document.getElementById("demo-control");
  if (!panel) return;

  async function call(method, path, body) {
    const resp = await fetch(`/demo/control${path}`, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.error || resp.statusText);
    return data;
  }

  // Each text comes in the demo's language first, then the other one, as the intro does.
  function both(el, pair) {
    el.replaceChildren();
    el.append(pair[0]);
    if (pair[1] && pair[1] !== pair[0]) {
      const alt = document.createElement("small");
      alt.textContent = pair[1];
      alt.style.cssText = "display:block;opacity:.7;font-size:.8em";
      el.append(alt);
    }
  }

  function button(pair, act) {
    const b = document.createElement("button");
    b.type = "button";
    b.style.cssText = "margin:.2em .4em .2em 0;padding:.3em .7em;cursor:pointer";
    both(b, pair);
    b.addEventListener("click", async () => {
      panel.querySelectorAll("button").forEach((x) => { x.disabled = true; });
      try {
        render(await act());
      } catch (err) {
        status.textContent = err.message;
      } finally {
        panel.querySelectorAll("button").forEach((x) => { x.disabled = false; });
      }
    });
    return b;
  }

  // Fixed in a corner and folded: it takes no room from the panes (the message boxes must stay
  // on screen at 1366×768), and a newcomer opens it when they want it.
  const box = document.createElement("details");
  const title = document.createElement("summary");
  const hint = document.createElement("p");
  const clock = document.createElement("p");
  const buttons = document.createElement("div");
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  status.className = "demo-control-status";
  title.style.cssText = "cursor:pointer;font-weight:bold";
  for (const p of [hint, clock, status]) p.style.margin = ".3em 0";
  panel.style.cssText = "position:fixed;top:.5em;right:.5em;z-index:20;max-width:24em;" +
    "padding:.4em .7em;background:#fff;border:1px solid #ccd;border-radius:8px;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.15);font-size:.9em";
  box.append(title, hint, buttons, clock, status);
  panel.append(box);

  function render(state) {
    both(title, state.labels.title);
    both(hint, state.labels.hint);
    both(clock, state.clock);
    status.textContent = (state.message || []).join(" · ");
    if (!buttons.childElementCount) {
      buttons.append(button(state.labels.lesson, () => call("POST", "/lesson")));
      for (const step of ["hour", "day", "week"]) {
        const b = button(state.labels[step], () =>
          call("POST", "/clock", { hours: state.steps[step] }));
        b.dataset.step = step;
        buttons.append(b);
      }
    }
    panel.hidden = false;
  }

  call("GET", "").then(render).catch(() => { panel.hidden = true; });
})();
