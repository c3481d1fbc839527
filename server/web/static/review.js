// Reviewer page: the recording and the transcript move together (the current turn and word light up while it
// plays; a line or an evidence quote seeks to its time), the human decision form, and a recompute of the scorecard.
(() => {
  "use strict";
  const root = document.getElementById("review");
  const invitation = root.dataset.invitation;
  const audioOf = (session) => document.querySelector(`audio[data-session="${session}"]`);

  function seek(session, ms) {
    const audio = audioOf(session);
    if (!audio) return;
    audio.currentTime = ms / 1000;
    audio.play().catch(() => {});  // autoplay rules may refuse; the position is set either way
    audio.scrollIntoView({block: "nearest"});
    highlight(audio);
  }
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek]");
    if (target) seek(target.dataset.seek, Number(target.dataset.ms));
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target.closest && event.target.closest("li[data-seek]");
    if (target && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      seek(target.dataset.seek, Number(target.dataset.ms));
    }
  });

  function highlight(audio) {
    const ms = audio.currentTime * 1000;
    const list = document.querySelector(`ol.captions[data-session="${audio.dataset.session}"]`);
    if (!list) return;
    for (const el of list.querySelectorAll("[data-ms][data-end]")) {
      el.classList.toggle("now", Number(el.dataset.ms) <= ms && ms < Number(el.dataset.end));
    }
  }
  document.querySelectorAll("audio[data-session]").forEach((audio) => {
    let frame = 0;
    const loop = () => { highlight(audio); frame = requestAnimationFrame(loop); };
    audio.addEventListener("play", () => { cancelAnimationFrame(frame); loop(); });
    audio.addEventListener("pause", () => cancelAnimationFrame(frame));
    audio.addEventListener("seeked", () => highlight(audio));
  });

  const form = document.getElementById("decide");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("decide-error");
    error.textContent = "";
    const chosen = form.querySelector('input[name="outcome"]:checked');
    const note = document.getElementById("note").value.trim();
    if (!chosen) { error.textContent = "Choose advance, hold or reject."; return; }
    if (!note) { error.textContent = "Write a note: what decided it. The note is kept with your name."; document.getElementById("note").focus(); return; }
    const response = await fetch(`/api/invitations/${invitation}/decisions`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({outcome: chosen.value, note}),
    }).catch(() => null);
    if (response && response.ok) { location.reload(); return; }
    const problem = response ? await response.json().catch(() => ({})) : {message: "The connection failed; nothing was recorded. Try again."};
    error.textContent = problem.detail && problem.detail.length ? problem.detail.map((d) => `${d.field}: ${d.message}`).join("; ") : problem.message;
  });

  document.getElementById("recompute").addEventListener("click", async (event) => {
    const status = document.getElementById("recompute-status");
    event.target.disabled = true;
    status.textContent = "Recomputing from stored facts…";
    const response = await fetch(`/api/invitations/${invitation}/scorecard`, {method: "POST"}).catch(() => null);
    if (response && response.ok) { location.reload(); return; }
    event.target.disabled = false;
    status.textContent = response ? `Could not recompute (HTTP ${response.status}).` : "The connection failed; try again.";
  });
})();
