// Candidate work samples: one task at a time, every change saved through a retrying queue (kept in
// localStorage, each change with its own idempotency key), the server's clock, and integrity events that are
// recorded for a reviewer and never block the candidate.
(() => {
  "use strict";
  const root = document.getElementById("assessment");
  const token = root.dataset.token;
  const api = `/api/candidate/${token}`;
  const pack = JSON.parse(document.getElementById("pack-data").textContent);
  const $ = (id) => document.getElementById(id);
  const uid = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");

  const state = {
    answers: {},          // task id -> item id -> answer (the latest, saved or queued)
    status: {},           // "task/item" -> "saving" | "saved" | "late" | "error"
    taskIndex: 0,
    deadline: 0,          // ms, local clock, derived from the server's remaining time
    submitted: false,
    active: null,         // {task, item, since, edits} for answer timing
  };

  // ---------------------------------------------------------------- small DOM helper
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "text") el.textContent = value;
      else if (key === "checked" || key === "value" || key === "disabled" || key === "selected") el[key] = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child);
    return el;
  }
  const words = (text) => (text.trim() ? text.trim().split(/\s+/).length : 0);

  // ---------------------------------------------------------------- the outbox: answers and events, retried
  const OUTBOX = `gaia-outbox-${token}`;
  let outbox = JSON.parse(localStorage.getItem(OUTBOX) || "[]");
  let flushing = false, backoff = 1000, retryTimer = null;
  const persistOutbox = () => localStorage.setItem(OUTBOX, JSON.stringify(outbox));

  function enqueueAnswer(taskId, itemId, answer) {
    // A newer change replaces a queued one for the same item (each keeps its own idempotency key).
    outbox = outbox.filter((m) => !(m.type === "answer" && m.task === taskId && m.item === itemId && !m.sending));
    outbox.push({type: "answer", task: taskId, item: itemId, answer, key: uid()});
    persistOutbox();
    setItemStatus(taskId, itemId, "saving");
    flush();
  }

  let pendingEvents = [], eventTimer = null;
  function record(kind, fields = {}, now = false) {
    const place = state.active ? {task_id: state.active.task, item_id: state.active.item} : {};
    const onTask = !state.active && !$("work").hidden ? {task_id: currentTask().id} : {};
    pendingEvents.push({id: uid(), kind, at: new Date().toISOString(), ...onTask, ...place, ...fields});
    clearTimeout(eventTimer);
    if (now) moveEvents(); else eventTimer = setTimeout(moveEvents, 1500);
  }
  function moveEvents() {
    if (!pendingEvents.length) return;
    outbox.push({type: "events", events: pendingEvents, key: uid()});
    pendingEvents = [];
    persistOutbox();
    flush();
  }

  async function send(message) {
    if (message.type === "answer") {
      const url = `${api}/answers/${encodeURIComponent(message.task)}/${encodeURIComponent(message.item)}`;
      return fetch(url, {method: "PUT", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({answer: message.answer, idempotency_key: message.key})});
    }
    return fetch(`${api}/events`, {method: "POST", headers: {"Content-Type": "application/json"}, keepalive: true,
      body: JSON.stringify({events: message.events})});
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    clearTimeout(retryTimer);
    try {
      while (outbox.length) {
        const message = outbox[0];
        message.sending = true;
        let response;
        try {
          response = await send(message);
        } catch (e) {
          response = null;  // offline or the server is restarting: keep it and retry
        }
        message.sending = false;
        if (!response || response.status >= 500 || response.status === 429) {
          showSave(`Not saved yet: ${outbox.length} change(s) waiting, retrying…`, "warn");
          retryTimer = setTimeout(flush, backoff);
          backoff = Math.min(backoff * 2, 15000);
          return;
        }
        backoff = 1000;
        outbox.shift();
        persistOutbox();
        if (message.type === "answer") {
          const still = outbox.some((m) => m.type === "answer" && m.task === message.task && m.item === message.item);
          if (response.ok) {
            const saved = await response.json();
            if (!still) setItemStatus(message.task, message.item, saved.late ? "late" : "saved");
          } else {
            const body = await response.json().catch(() => ({}));
            setItemStatus(message.task, message.item, "error");
            showError(body.message || `This answer could not be saved (HTTP ${response.status}).`);
            if (response.status === 409) await loadAttempt();  // submitted elsewhere: show the truth
          }
        } else if (!response.ok) {
          console.warn("events not accepted", response.status);
        }
      }
      showSave("All changes saved", "ok");
    } finally {
      flushing = false;
    }
  }
  window.addEventListener("online", flush);
  outbox.forEach((m) => { m.sending = false; });  // a send cut off by a reload is simply sent again

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function drain() {  // try for a few seconds to get every queued change acknowledged
    const until = Date.now() + 8000;
    while (outbox.length && Date.now() < until) {
      if (flushing) { await sleep(100); continue; }
      await flush();
      if (outbox.length) await sleep(500);
    }
    return outbox.length === 0;
  }

  function showSave(text, kind) {
    const el = $("save-status");
    el.textContent = text;
    el.className = `save-status ${kind}`;
  }
  function showError(text) { $("work-error").textContent = text; }

  // ---------------------------------------------------------------- answers
  const answered = (taskId, itemId) => Boolean(state.answers[taskId] && state.answers[taskId][itemId]);
  function current(task, item) {
    const saved = (state.answers[task.id] || {})[item.id];
    return saved ? JSON.parse(JSON.stringify(saved)) : {type: task.type};
  }
  function setAnswer(task, item, answer) {
    answer.type = task.type;
    (state.answers[task.id] ||= {})[item.id] = answer;
    if (state.active && state.active.item === item.id) state.active.edits += 1;
    enqueueAnswer(task.id, item.id, answer);
    updateProgress();
  }
  let typingTimers = {};
  function setAnswerSoon(task, item, answer) {  // while typing: save after a short pause
    (state.answers[task.id] ||= {})[item.id] = {...answer, type: task.type};
    setItemStatus(task.id, item.id, "saving");
    clearTimeout(typingTimers[item.id]);
    typingTimers[item.id] = setTimeout(() => setAnswer(task, item, state.answers[task.id][item.id]), 600);
  }
  function flushTyping() {
    for (const [itemId, timer] of Object.entries(typingTimers)) {
      clearTimeout(timer);
      const task = currentTask();
      const item = task.items.find((i) => i.id === itemId);
      if (item && state.answers[task.id] && state.answers[task.id][itemId]) setAnswer(task, item, state.answers[task.id][itemId]);
    }
    typingTimers = {};
  }

  function setItemStatus(taskId, itemId, status) {
    state.status[`${taskId}/${itemId}`] = status;
    const el = document.querySelector(`[data-status="${CSS.escape(taskId + "/" + itemId)}"]`);
    if (el) {
      el.textContent = {saving: "saving…", saved: "saved", late: "saved (after the time limit)", error: "not saved"}[status] || "";
      el.className = `item-status ${status}`;
    }
  }

  // ---------------------------------------------------------------- timer and progress
  function tick() {
    const left = Math.max(0, Math.round((state.deadline - Date.now()) / 1000));
    const timer = $("timer");
    timer.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left` : "Time is up";
    timer.className = `timer${left <= 300 ? " warn" : ""}${left === 0 ? " over" : ""}`;
    if (left === 0 && !state.timeUpShown) {
      state.timeUpShown = true;
      showError("Time is up. You can still change answers and submit; changes from now on are kept but marked late.");
    }
  }
  let lastTick = Date.now();
  setInterval(() => {
    const now = Date.now();
    // A visible page whose clock stalled for seconds (a debugger pause, a frozen tab) is worth a note.
    if (now - lastTick > 5000 && document.visibilityState === "visible" && !$("work").hidden) {
      record("timer_gap", {gap_ms: now - lastTick});
    }
    lastTick = now;
    if (!$("work").hidden) tick();
  }, 1000);

  function updateProgress() {
    const total = pack.tasks.reduce((n, t) => n + t.items.length, 0);
    const done = pack.tasks.reduce((n, t) => n + t.items.filter((i) => answered(t.id, i.id)).length, 0);
    $("progress").textContent = `Task ${state.taskIndex + 1} of ${pack.tasks.length} · ${done} of ${total} items answered`;
    document.querySelectorAll("#task-tabs button").forEach((button, index) => {
      const task = pack.tasks[index];
      const count = task.items.filter((i) => answered(task.id, i.id)).length;
      button.querySelector(".count").textContent = `${count}/${task.items.length}`;
      button.classList.toggle("complete", count === task.items.length);
    });
  }

  // ---------------------------------------------------------------- tasks
  const currentTask = () => pack.tasks[state.taskIndex];

  function renderTabs() {
    const nav = $("task-tabs");
    nav.replaceChildren(...pack.tasks.map((task, index) => h("button", {
      type: "button", class: "secondary", "aria-current": index === state.taskIndex ? "step" : null,
      onclick: () => showTask(index),
    }, `${index + 1}. ${task.title} `, h("span", {class: "count"}))));
  }

  function showTask(index) {
    flushTyping();
    leaveItem();
    state.taskIndex = Math.max(0, Math.min(pack.tasks.length - 1, index));
    const task = currentTask();
    const section = $("task");
    const guide = h("div", {class: "guideline"}, h("p", {text: task.guideline}));
    if (task.clauses.length) {
      guide.append(h("ol", {class: "clauses"}, task.clauses.map((c) => h("li", {}, h("strong", {text: c.id + " "}), c.description))));
    }
    section.replaceChildren(
      h("h1", {id: "task-title", tabindex: "-1"}, `Task ${state.taskIndex + 1} of ${pack.tasks.length}: ${task.title}`),
      guide,
      ...task.items.map((item, i) => renderItem(task, item, i)),
    );
    $("prev").disabled = state.taskIndex === 0;
    $("next").disabled = state.taskIndex === pack.tasks.length - 1;
    renderTabs();
    updateProgress();
    $("task-title").focus();
    window.scrollTo(0, 0);
  }

  function renderItem(task, item, index) {
    const key = `${task.id}/${item.id}`;
    const status = h("span", {class: "item-status", "data-status": key});
    const article = h("article", {class: "item", "data-item": item.id, "aria-labelledby": `h-${item.id}`},
      h("h2", {id: `h-${item.id}`}, `Item ${index + 1} of ${task.items.length} `, status),
      WIDGETS[task.type](task, item),
      extras(task, item),
    );
    const enter = () => enterItem(task.id, item.id);
    article.addEventListener("focusin", enter);
    article.addEventListener("pointerdown", enter);
    queueMicrotask(() => setItemStatus(task.id, item.id, state.status[key] || (answered(task.id, item.id) ? "saved" : "")));
    return article;
  }

  function extras(task, item) {
    const box = h("div", {class: "extras"});
    if (item.may_flag_ambiguous) {
      const answer = current(task, item);
      const note = h("textarea", {rows: 2, "data-field": "note", "aria-label": "Why is this item ambiguous?",
        placeholder: "Explain the readings you hesitate between", value: answer.note || "", hidden: !answer.flagged_ambiguous,
        oninput: () => setAnswerSoon(task, item, {...current(task, item), flagged_ambiguous: true, note: note.value})});
      const flag = h("input", {type: "checkbox", checked: Boolean(answer.flagged_ambiguous), onchange: () => {
        note.hidden = !flag.checked;
        setAnswer(task, item, {...current(task, item), flagged_ambiguous: flag.checked, note: flag.checked ? note.value : null});
        if (flag.checked) note.focus();
      }});
      box.append(h("label", {class: "check"}, flag, " Ambiguous: flag this item with a note"), note);
    }
    const answer = current(task, item);
    const levels = [["", "not stated"], ["0.5", "50% (a guess)"], ["0.6", "60%"], ["0.7", "70%"], ["0.8", "80%"], ["0.9", "90%"], ["1", "100% (certain)"]];
    const select = h("select", {onchange: () => setAnswer(task, item, {...current(task, item), confidence: select.value === "" ? null : Number(select.value)})},
      levels.map(([value, text]) => h("option", {value, selected: answer.confidence !== undefined && answer.confidence !== null && Number(value) === answer.confidence && value !== "", text})));
    box.append(h("label", {class: "inline"}, "How sure are you? (optional) ", select));
    return box;
  }

  function textArea(task, item, field, value, label, minWords) {
    const counter = h("span", {class: "muted counter"});
    const count = (text) => {
      const n = words(text);
      counter.textContent = `${n} word${n === 1 ? "" : "s"}${minWords ? ` (at least ${minWords})` : ""}`;
      counter.classList.toggle("short", Boolean(minWords) && n < minWords);
    };
    const area = h("textarea", {rows: 5, "data-field": field, "aria-label": label, value: value || "",
      oninput: () => { count(area.value); setAnswerSoon(task, item, {...current(task, item), [field]: area.value}); },
      onblur: flushTyping});
    count(area.value);
    return h("div", {class: "textarea"}, h("label", {text: label}), area, counter);
  }

  function radios(name, options, chosen, onchange) {
    return h("div", {class: "choices", role: "radiogroup"}, options.map((option) => h("label", {class: "choice"},
      h("input", {type: "radio", name, value: option.id, checked: chosen === option.id, onchange: () => onchange(option.id)}),
      h("span", {class: "choice-id", text: option.label || option.id}),
      option.description ? h("span", {class: "muted", text: ` ${option.description}`}) : null)));
  }

  const WIDGETS = {
    instruction_following(task, item) {
      return h("div", {},
        h("p", {class: "instruction", text: item.instruction}),
        item.input ? h("blockquote", {class: "input", text: item.input}) : null,
        textArea(task, item, "text", current(task, item).text, "Your answer"));
    },

    attention_to_detail(task, item) {
      const answer = current(task, item);
      const marked = new Set(answer.discrepancies || []);
      const none = h("input", {type: "checkbox", checked: answered(task.id, item.id) && marked.size === 0, onchange: () => {
        if (none.checked) table.querySelectorAll("input").forEach((box) => { box.checked = false; });
        setAnswer(task, item, {...current(task, item), discrepancies: []});
      }});
      const save = () => {
        const names = [...table.querySelectorAll("input:checked")].map((box) => box.value);
        if (names.length) none.checked = false;
        setAnswer(task, item, {...current(task, item), discrepancies: names});
      };
      const table = h("table", {class: "fields"},
        h("thead", {}, h("tr", {}, h("th", {text: "Field"}), h("th", {text: "Source"}), h("th", {text: "Copy"}), h("th", {text: "Differs?"}))),
        h("tbody", {}, item.fields.map((field) => h("tr", {},
          h("th", {scope: "row", text: field.name}), h("td", {class: "mono", text: field.source}), h("td", {class: "mono", text: field.copy_value}),
          h("td", {}, h("input", {type: "checkbox", value: field.name, checked: marked.has(field.name), onchange: save,
            "aria-label": `${field.name} differs`}))))));
      return h("div", {}, h("p", {text: item.prompt}), table, h("label", {class: "check"}, none, " Nothing differs in this record"));
    },

    text_classification(task, item) {
      return h("div", {},
        h("blockquote", {class: "input", text: item.text}),
        radios(`cls-${item.id}`, task.options, current(task, item).label,
          (label) => setAnswer(task, item, {...current(task, item), label})));
    },

    ner(task, item) { return nerWidget(task, item); },
    image_labels(task, item) { return imageWidget(task, item); },

    llm_evaluation(task, item) {
      const answer = current(task, item);
      const scale = Array.from({length: task.rating_scale || 5}, (_, i) => String(i + 1));
      const rating = (side, dim) => {
        const field = side === "A" ? "ratings_a" : "ratings_b";
        const select = h("select", {"aria-label": `${dim} of response ${side}`, onchange: () => {
          const next = current(task, item);
          next[field] = {...(next[field] || {})};
          if (select.value) next[field][dim] = Number(select.value); else delete next[field][dim];
          setAnswer(task, item, next);
        }}, h("option", {value: "", text: "–"}),
        scale.map((v) => h("option", {value: v, text: v, selected: (answer[field] || {})[dim] === Number(v)})));
        return select;
      };
      return h("div", {},
        h("p", {class: "instruction"}, h("strong", {text: "Prompt: "}), item.prompt),
        h("div", {class: "pair"},
          h("section", {"aria-label": "Response A"}, h("h3", {text: "Response A"}), h("p", {class: "response", text: item.response_a})),
          h("section", {"aria-label": "Response B"}, h("h3", {text: "Response B"}), h("p", {class: "response", text: item.response_b}))),
        h("table", {class: "ratings"},
          h("thead", {}, h("tr", {}, h("th", {text: `Rating (1–${scale.length})`}), h("th", {text: "A"}), h("th", {text: "B"}))),
          h("tbody", {}, task.dimensions.map((dim) => h("tr", {}, h("th", {scope: "row", text: dim}), h("td", {}, rating("A", dim)), h("td", {}, rating("B", dim)))))),
        h("p", {class: "label"}, "Which response is better?"),
        radios(`pref-${item.id}`, [{id: "A", label: "A is better"}, {id: "B", label: "B is better"}, {id: "tie", label: "Tie"}],
          answer.preference, (preference) => setAnswer(task, item, {...current(task, item), preference})),
        textArea(task, item, "justification", answer.justification, "Justification: name the details that decided it", task.min_justification_words));
    },
  };

  // ---------------------------------------------------------------- NER: select tokens, give them a type
  function nerWidget(task, item) {
    const types = task.entity_types;
    let anchor = null, cursor = 0, selection = null, dragging = false;
    const strip = h("div", {class: "tokens", tabindex: "0", role: "group",
      "aria-label": "Text to tag. Arrows move, Home and End jump, Shift+arrows select, number keys tag, Delete removes."});
    const list = h("ul", {class: "entities"});
    const spans = () => (current(task, item).spans || []);
    const spanAt = (i) => spans().find((s) => s.start <= i && i < s.end);

    // Token elements are built once and restyled, so a drag across them never replaces what is under the pointer.
    const tokenEls = item.tokens.map((text, i) => h("span", {class: "token", "data-i": i}, text));
    strip.append(...tokenEls);
    function paint() {
      const all = spans();
      tokenEls.forEach((el, i) => {
        const span = all.find((s) => s.start <= i && i < s.end);
        const cls = ["token"];
        if (span) cls.push("ent", `ent-${types.findIndex((t) => t.id === span.type)}`);
        if (span && span.start === i) cls.push("ent-start");
        if (span && span.end === i + 1) cls.push("ent-end");
        if (selection && selection[0] <= i && i <= selection[1]) cls.push("selected");
        if (i === cursor && document.activeElement === strip) cls.push("cursor");
        el.className = cls.join(" ");
        const tag = span && span.end === i + 1 ? span.type : null;
        let sup = el.querySelector("sup");
        if (tag && !sup) el.append(sup = h("sup", {class: "ent-tag"}));
        if (sup) { if (tag) sup.textContent = tag; else sup.remove(); }
      });
      list.replaceChildren(...all.slice().sort((a, b) => a.start - b.start).map((s) => h("li", {},
        h("span", {class: `tag ent-${types.findIndex((t) => t.id === s.type)}`, text: s.type}),
        ` ${item.tokens.slice(s.start, s.end).join(" ")} `,
        h("button", {type: "button", class: "link", "aria-label": `Remove ${s.type} ${item.tokens.slice(s.start, s.end).join(" ")}`,
          onclick: () => save(spans().filter((x) => x !== s && !(x.start === s.start && x.end === s.end))), text: "remove"}))));
      if (!all.length) list.append(h("li", {class: "muted", text: "No entities tagged yet."}));
    }
    function save(next) { setAnswer(task, item, {...current(task, item), spans: next}); paint(); }
    function tag(typeId) {
      if (!selection) return;
      const [a, b] = selection;
      save([...spans().filter((s) => s.end <= a || s.start > b), {start: a, end: b + 1, type: typeId}]);
    }
    function removeSelected() {
      if (!selection) return;
      const [a, b] = selection;
      save(spans().filter((s) => s.end <= a || s.start > b));
    }
    const tokenIndex = (event) => {
      const el = event.target.closest(".token");
      return el ? Number(el.dataset.i) : null;
    };
    strip.addEventListener("mousedown", (event) => {
      const i = tokenIndex(event);
      if (i === null) return;
      event.preventDefault();
      strip.focus();
      dragging = true; anchor = i; cursor = i; selection = [i, i];
      paint();
    });
    strip.addEventListener("mouseover", (event) => {
      const i = tokenIndex(event);
      if (!dragging || i === null) return;
      cursor = i; selection = [Math.min(anchor, i), Math.max(anchor, i)];
      paint();
    });
    window.addEventListener("mouseup", () => {
      if (!dragging) return;
      dragging = false;
      if (selection && selection[0] === selection[1]) {
        const span = spanAt(selection[0]);
        if (span) selection = [span.start, span.end - 1];  // a click on a tagged word selects its entity
      }
      paint();
    });
    strip.addEventListener("keydown", (event) => {
      const last = item.tokens.length - 1;
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        const next = Math.max(0, Math.min(last, cursor + (event.key === "ArrowRight" ? 1 : -1)));
        if (event.shiftKey) {
          if (anchor === null || !selection) anchor = cursor;
          selection = [Math.min(anchor, next), Math.max(anchor, next)];
        } else {
          anchor = next; selection = [next, next];
        }
        cursor = next;
        paint();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        cursor = event.key === "Home" ? 0 : last;
        anchor = cursor; selection = [cursor, cursor];
        paint();
      } else if (/^[1-9]$/.test(event.key) && types[Number(event.key) - 1]) {
        event.preventDefault();
        if (!selection) selection = [cursor, cursor];
        tag(types[Number(event.key) - 1].id);
      } else if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        if (!selection) selection = [cursor, cursor];
        removeSelected();
      } else if (event.key === "Escape") {
        selection = null; anchor = null; paint();
      }
    });
    strip.addEventListener("focus", () => { if (!selection) selection = [cursor, cursor]; paint(); });
    strip.addEventListener("blur", paint);
    const toolbar = h("div", {class: "toolbar", role: "toolbar", "aria-label": "Entity types"},
      types.map((t, i) => h("button", {type: "button", class: `tag-button ent-${i}`, title: t.description,
        onmousedown: (event) => event.preventDefault(), onclick: () => tag(t.id)}, h("kbd", {text: String(i + 1)}), ` ${t.id}`)),
      h("button", {type: "button", class: "secondary", onmousedown: (event) => event.preventDefault(), onclick: removeSelected, text: "Remove tag"}));
    paint();
    return h("div", {}, h("p", {class: "muted", text: "Drag across words (or use Shift+arrows), then choose a type."}), toolbar, strip,
      h("h3", {class: "small", text: "Tagged entities"}), list);
  }

  // ---------------------------------------------------------------- images: a class and boxes on a canvas
  function imageWidget(task, item) {
    const asset = item.asset;
    const naturalW = asset.width || 320, naturalH = asset.height || 240;
    const scale = Math.min(2, 640 / naturalW);
    const W = Math.round(naturalW * scale), H = Math.round(naturalH * scale);
    let selected = -1, drag = null;
    const boxes = () => (current(task, item).boxes || []);
    const labelSelect = h("select", {"aria-label": "Label for new boxes"}, task.box_labels.map((l) => h("option", {value: l, text: l})));
    const img = h("img", {src: asset.url, alt: asset.alt || "image to label", width: W, height: H, draggable: "false"});
    const canvas = h("canvas", {width: W, height: H, tabindex: "0", class: "boxes",
      "aria-label": "Boxes. Drag to draw a box; click a box to select it, then drag it to move; drag a corner to resize. Keyboard: N adds a box, Tab selects the next, arrows move, Shift+arrows resize, Delete removes."});
    const list = h("ul", {class: "box-list"});
    const imageError = h("p", {class: "error", role: "alert"});

    img.addEventListener("error", async () => {
      let status = 0;
      try { status = (await fetch(asset.url, {method: "GET", cache: "no-store"})).status; } catch (e) { status = 0; }
      imageError.textContent = `The image could not load${status ? ` (HTTP ${status})` : ""}. This is recorded for the reviewer and not held against you; you can flag the item or move on.`;
      enterItem(task.id, item.id);
      record("asset_error", {asset: asset.url, status}, true);
    });

    const save = (next) => { setAnswer(task, item, {...current(task, item), boxes: next.map(round)}); draw(); };
    const round = (b) => ({label: b.label, x: Math.round(b.x), y: Math.round(b.y), w: Math.max(1, Math.round(b.w)), h: Math.max(1, Math.round(b.h))});
    const clamp = (b) => {
      const w = Math.min(Math.max(1, b.w), naturalW), hh = Math.min(Math.max(1, b.h), naturalH);
      return {...b, w, h: hh, x: Math.min(Math.max(0, b.x), naturalW - w), y: Math.min(Math.max(0, b.y), naturalH - hh)};
    };
    const point = (event) => {
      const rect = canvas.getBoundingClientRect();
      return {x: (event.clientX - rect.left) / scale, y: (event.clientY - rect.top) / scale};
    };
    const HANDLE = 6 / scale;
    const corner = (b, p) => Math.abs(p.x - (b.x + b.w)) <= HANDLE && Math.abs(p.y - (b.y + b.h)) <= HANDLE;
    const inside = (b, p) => p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;

    function draw(live) {
      const ctx = canvas.getContext("2d");
      ctx.clearRect(0, 0, W, H);
      const all = live || boxes();
      all.forEach((b, i) => {
        ctx.lineWidth = i === selected ? 3 : 2;
        ctx.strokeStyle = i === selected ? "#f5a400" : "#2454d6";
        ctx.strokeRect(b.x * scale, b.y * scale, b.w * scale, b.h * scale);
        ctx.fillStyle = i === selected ? "#f5a400" : "#2454d6";
        ctx.fillRect((b.x + b.w) * scale - 4, (b.y + b.h) * scale - 4, 8, 8);  // resize handle
        ctx.font = "12px system-ui";
        ctx.fillText(b.label, b.x * scale + 2, Math.max(12, b.y * scale - 3));
      });
      list.replaceChildren(...all.map((b, i) => h("li", {class: i === selected ? "selected" : ""},
        h("select", {"aria-label": `Label of box ${i + 1}`, onchange: (event) => {
          const next = boxes().slice(); next[i] = {...next[i], label: event.target.value}; save(next);
        }}, task.box_labels.map((l) => h("option", {value: l, text: l, selected: l === b.label}))),
        ` x ${Math.round(b.x)}, y ${Math.round(b.y)}, ${Math.round(b.w)}×${Math.round(b.h)} px `,
        h("button", {type: "button", class: "link", text: "select", onclick: () => { selected = i; draw(); canvas.focus(); }}),
        h("button", {type: "button", class: "link", text: "delete", "aria-label": `Delete box ${i + 1}`,
          onclick: () => { selected = -1; save(boxes().filter((_, j) => j !== i)); }}))));
      if (!all.length) list.append(h("li", {class: "muted", text: "No boxes yet. Draw nothing if none of the listed objects is present."}));
    }

    canvas.addEventListener("pointerdown", (event) => {
      const p = point(event);
      const all = boxes();
      canvas.setPointerCapture(event.pointerId);
      // Any box's corner resizes it; only the selected box moves, so a box can be drawn inside another one.
      const order = all.map((b, i) => i).sort((a, b) => (b === selected) - (a === selected));
      const hitCorner = order.find((i) => corner(all[i], p));
      if (hitCorner !== undefined) {
        selected = hitCorner; drag = {mode: "resize", index: hitCorner, start: p, box: all[hitCorner]};
      } else if (selected >= 0 && all[selected] && inside(all[selected], p)) {
        drag = {mode: "move", index: selected, start: p, box: all[selected]};
      } else {
        const under = all.map((b, i) => i).reverse().find((i) => inside(all[i], p));
        drag = {mode: "new", index: all.length, start: p, under, box: {label: labelSelect.value, x: p.x, y: p.y, w: 0, h: 0}};
      }
      draw();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const p = point(event), dx = p.x - drag.start.x, dy = p.y - drag.start.y, b = drag.box;
      let next;
      if (drag.mode === "move") next = clamp({...b, x: b.x + dx, y: b.y + dy});
      else if (drag.mode === "resize") next = clamp({...b, w: b.w + dx, h: b.h + dy});
      else next = clamp({...b, x: Math.min(p.x, b.x), y: Math.min(p.y, b.y), w: Math.abs(dx), h: Math.abs(dy)});
      drag.live = next;
      const all = boxes().slice();
      all[drag.index] = next;
      draw(all);
    });
    canvas.addEventListener("pointerup", () => {
      if (!drag) return;
      const {live, mode, index, under} = drag;
      drag = null;
      if (!live || (mode === "new" && (live.w < 3 || live.h < 3))) {  // a click, not a drag: select what is under it
        if (mode === "new") selected = under === undefined ? -1 : under;
        draw();
        return;
      }
      const all = boxes().slice();
      all[index] = live;
      if (mode === "new") selected = -1;
      save(all);
    });
    canvas.addEventListener("keydown", (event) => {
      const all = boxes().slice();
      if (event.key === "n" || event.key === "N") {
        event.preventDefault();
        all.push(clamp({label: labelSelect.value, x: naturalW / 2 - 20, y: naturalH / 2 - 20, w: 40, h: 40}));
        selected = all.length - 1;
        save(all);
        return;
      }
      if (selected < 0 || !all[selected]) return;
      const step = 1;
      const moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
      if (moves[event.key]) {
        event.preventDefault();
        const [dx, dy] = moves[event.key];
        const b = all[selected];
        all[selected] = clamp(event.shiftKey ? {...b, w: b.w + dx, h: b.h + dy} : {...b, x: b.x + dx, y: b.y + dy});
        save(all);
      } else if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        all.splice(selected, 1);
        selected = -1;
        save(all);
      } else if (event.key === "Tab" && !event.shiftKey && all.length > 1 && selected < all.length - 1) {
        event.preventDefault();
        selected += 1;
        draw();
      }
    });

    const answer = current(task, item);
    const classes = radios(`img-${item.id}`, task.options, answer.image_class,
      (image_class) => setAnswer(task, item, {...current(task, item), image_class}));
    queueMicrotask(draw);
    return h("div", {},
      h("p", {class: "instruction", text: item.prompt}),
      h("p", {class: "label", text: "Image class"}), classes,
      h("p", {class: "inline"}, h("label", {class: "inline"}, "Label for new boxes ", labelSelect)),
      h("p", {class: "muted small", text: "Drag on the image to draw a box. Click a box to select it, then drag to move it; drag its corner square to resize. Keyboard: focus the image, N adds a box, arrows move it, Shift+arrows resize, Delete removes."}),
      h("div", {class: "stage", style: `width:${W}px;height:${H}px`}, img, canvas),
      imageError,
      h("h3", {class: "small", text: "Boxes"}), list);
  }

  // ---------------------------------------------------------------- answer timing per item
  function enterItem(taskId, itemId) {
    if (state.active && state.active.item === itemId && state.active.task === taskId) return;
    leaveItem();
    state.active = {task: taskId, item: itemId, since: Date.now(), edits: 0};
  }
  function leaveItem() {
    const active = state.active;
    if (!active) return;
    const dwell = Date.now() - active.since;
    if (dwell >= 500 || active.edits) record("item_timing", {dwell_ms: dwell, edits: active.edits});
    state.active = null;
  }

  // ---------------------------------------------------------------- integrity events (recorded, never blocking)
  let hiddenAt = 0, blurredAt = 0, small = false, leaving = false;
  window.addEventListener("blur", () => { if (!$("work").hidden) { blurredAt = Date.now(); record("focus_lost"); } });
  window.addEventListener("focus", () => { if (blurredAt) { record("focus_returned", {away_ms: Date.now() - blurredAt}); blurredAt = 0; } });
  document.addEventListener("visibilitychange", () => {
    if ($("work").hidden || leaving) return;  // a reload or closing the tab hides the page too: not a switch
    if (document.visibilityState === "hidden") {
      hiddenAt = Date.now();
      record("tab_hidden", {}, true);
      flush();
    } else if (hiddenAt) {
      record("tab_visible", {away_ms: Date.now() - hiddenAt});
      hiddenAt = 0;
    }
  });
  const fieldOf = (target) => (target && target.closest && target.closest("[data-field]") ? target.closest("[data-field]").dataset.field : "other");
  document.addEventListener("paste", (event) => {
    const text = (event.clipboardData && event.clipboardData.getData("text")) || "";
    record("paste", {length: text.length, field: fieldOf(event.target)});
  });
  document.addEventListener("copy", () => {
    const text = String(window.getSelection ? window.getSelection() : "");
    record("copy", {length: text.length, field: fieldOf(document.activeElement)});
  });
  document.addEventListener("contextmenu", (event) => record("context_menu", {field: fieldOf(event.target)}));
  window.addEventListener("resize", () => {
    const now = window.innerWidth < 700 || window.innerHeight < 450;
    if (now && !small && !$("work").hidden) record("small_window", {width: window.innerWidth, height: window.innerHeight});
    small = now;
  });
  window.addEventListener("pagehide", () => { leaving = true; flushTyping(); leaveItem(); moveEvents(); });
  window.addEventListener("pageshow", () => { leaving = false; });

  // ---------------------------------------------------------------- keyboard between tasks
  document.addEventListener("keydown", (event) => {
    if ($("work").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest("input, textarea, select, .tokens, canvas");
    if (typing) return;
    if (event.key === "]") showTask(state.taskIndex + 1);
    if (event.key === "[") showTask(state.taskIndex - 1);
  });
  $("prev").addEventListener("click", () => showTask(state.taskIndex - 1));
  $("next").addEventListener("click", () => showTask(state.taskIndex + 1));

  // ---------------------------------------------------------------- submit
  $("submit").addEventListener("click", () => {
    flushTyping();
    const total = pack.tasks.reduce((n, t) => n + t.items.length, 0);
    const missing = pack.tasks.reduce((n, t) => n + t.items.filter((i) => !answered(t.id, i.id)).length, 0);
    $("confirm-text").textContent = missing
      ? `${missing} of ${total} items have no answer yet; they will count as unanswered.`
      : `All ${total} items have an answer.`;
    $("confirm").showModal();
  });
  $("confirm-cancel").addEventListener("click", () => $("confirm").close());
  $("confirm-ok").addEventListener("click", async () => {
    const ok = $("confirm-ok");
    ok.disabled = true;
    leaveItem();
    moveEvents();
    if (!(await drain())) {  // never submit over answers the server has not acknowledged
      ok.disabled = false;
      $("confirm").close();
      showError("Some answers are not saved yet (the connection seems down). They are kept in this browser; submit again when the status says all changes are saved.");
      return;
    }
    ok.textContent = "Submitting…";
    const response = await fetch(`${api}/submit`, {method: "POST"}).catch(() => null);
    ok.textContent = "Submit now";
    ok.disabled = false;
    $("confirm").close();
    if (!response || !response.ok) {
      const body = response ? await response.json().catch(() => ({})) : {};
      showError(body.message || "Submitting failed: the connection seems down. Your answers are saved; try again in a moment.");
      return;
    }
    const body = await response.json();
    showDone(body.submitted_at);
  });

  function showDone(submittedAt) {
    state.submitted = true;
    ["loading", "intro", "work"].forEach((id) => { $(id).hidden = true; });
    $("done").hidden = false;
    if (submittedAt) $("done-text").textContent = `Thank you. Your work samples were handed in on ${new Date(submittedAt).toLocaleString()}. A person will review them and be in touch.`;
    $("done-title").setAttribute("tabindex", "-1");
    $("done-title").focus();
  }

  // ---------------------------------------------------------------- start or resume
  function applyAttempt(attempt) {
    state.deadline = Date.now() + attempt.remaining_s * 1000;
    state.answers = attempt.answers || {};
    for (const [taskId, items] of Object.entries(state.answers)) {
      for (const itemId of Object.keys(items)) state.status[`${taskId}/${itemId}`] = attempt.late_items.includes(`${taskId}/${itemId}`) ? "late" : "saved";
    }
    // Changes this browser made that the server has not acknowledged yet are newer than what it has.
    for (const message of outbox) {
      if (message.type !== "answer") continue;
      (state.answers[message.task] ||= {})[message.item] = message.answer;
      state.status[`${message.task}/${message.item}`] = "saving";
    }
  }

  async function loadAttempt() {
    const response = await fetch(`${api}/attempt`, {cache: "no-store"});
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const attempt = await response.json();
    if (attempt.state === "submitted") { showDone(attempt.submitted_at); return attempt; }
    return attempt;
  }

  function showWork(attempt, resumed) {
    applyAttempt(attempt);
    ["loading", "intro", "done"].forEach((id) => { $(id).hidden = true; });
    $("work").hidden = false;
    record("page_opened", {resumed});
    tick();
    showTask(0);
    flush();
  }

  $("consent").addEventListener("change", () => { $("begin").disabled = !$("consent").checked; });
  $("begin").addEventListener("click", async () => {
    $("begin").disabled = true;
    $("intro-error").textContent = "";
    try {
      // The consent is stored before the clock starts.
      const consent = await fetch(`${api}/events`, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({events: [{id: uid(), kind: "consent", notice: root.dataset.notice, at: new Date().toISOString()}]})});
      if (!consent.ok) throw new Error(`HTTP ${consent.status}`);
      const response = await fetch(`${api}/attempt`, {method: "POST"});
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(body.message || `HTTP ${response.status}`);
      }
      showWork(await response.json(), false);
    } catch (e) {
      $("begin").disabled = false;
      $("intro-error").textContent = `Could not start: ${e.message}. Check your connection and try again.`;
    }
  });

  (async () => {
    try {
      const attempt = await loadAttempt();
      if (attempt === null) {
        $("loading").hidden = true;
        $("intro").hidden = false;
        $("consent").focus();
      } else if (attempt.state !== "submitted") {
        showWork(attempt, true);
      }
    } catch (e) {
      $("loading").replaceChildren(h("p", {class: "error", role: "alert", text: `The work samples could not load (${e.message}). Reload the page to try again.`}));
    }
  })();
})();
