// Candidate voice interview: microphone check, WebRTC to /rtc/offer (or the invitation's LiveKit room when the server
// has one), captions and state from the data channel.
(() => {
  const root = document.getElementById("interview");
  const token = root.dataset.token;
  const livekit = root.dataset.livekit === "1";
  const $ = (id) => document.getElementById(id);
  const micButton = $("mic"), start = $("start"), end = $("end"), state = $("state"), error = $("error");
  const captions = $("captions"), interim = $("interim"), progress = $("progress");
  let stream = null, pc = null, room = null, ended = false, retries = 0, dataChannel = null, handoff = null;
  // Identifies this page, so its own reconnects take over the session while a second tab is refused.
  const clientId = sessionStorage.getItem("gaia-client") || (crypto.randomUUID ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now());
  sessionStorage.setItem("gaia-client", clientId);

  const showError = (text) => { error.textContent = text; };
  const setState = (text) => { state.textContent = text; state.className = "pill " + text; };

  function addCaption(speaker, text) {
    const empty = captions.querySelector(".empty");
    if (empty) empty.remove();
    const item = document.createElement("li");
    item.className = speaker;
    item.textContent = text;
    captions.appendChild(item);
    captions.scrollTop = captions.scrollHeight;
  }

  micButton.addEventListener("click", async () => {
    showError("");
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: true, noiseSuppression: true}});
    } catch (e) {
      showError("The microphone is blocked. Allow it in your browser's site settings (the icon left of the address), then try again.");
      return;
    }
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    const draw = () => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      $("level").style.width = Math.min(100, peak * 2) + "%";
      requestAnimationFrame(draw);
    };
    draw();
    $("mic-status").textContent = "Microphone on. Say something: the bar should move.";
    micButton.disabled = true;
    start.disabled = false;
    start.focus();
  });

  function connect() { return livekit ? joinRoom() : sendOffer(); }

  async function sendOffer() {
    pc = new RTCPeerConnection();
    stream.getAudioTracks().forEach((track) => pc.addTrack(track, stream));
    pc.addEventListener("track", (event) => { $("agent-audio").srcObject = event.streams[0] || new MediaStream([event.track]); });
    const channel = dataChannel = pc.createDataChannel("gaia");
    channel.addEventListener("message", (event) => onEvent(JSON.parse(event.data)));
    const current = pc;
    pc.addEventListener("connectionstatechange", () => {
      if (ended || pc !== current) return;
      if (current.connectionState === "connected") { retries = 0; showError(""); }
      if (current.connectionState === "failed" || current.connectionState === "disconnected") reconnect();
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
      setTimeout(resolve, 3000);
    });
    const response = await fetch("/rtc/offer", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token, sdp: pc.localDescription.sdp, type: pc.localDescription.type, client_id: clientId}),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || "The interview could not start.");
    await pc.setRemoteDescription({sdp: body.sdp, type: body.type});
  }

  // LiveKit: a `gaia worker` in the invitation's room runs the interview and publishes the data channel's JSON events
  // on EVENTS_TOPIC (agent/worker.py). Events only report changes: on (re)joining, the agent's current state comes
  // from the attribute livekit-agents keeps on its participant.
  const EVENTS_TOPIC = "gaia", AGENT_STATE = "lk.agent.state";
  const agentState = (r) => [...r.remoteParticipants.values()].map((p) => p.attributes[AGENT_STATE]).find(Boolean);
  const joined = (r) => { retries = 0; showError(""); setState(agentState(r) || "connecting"); };

  async function joinRoom() {
    const response = await fetch("/rtc/livekit-token", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({token, client_id: clientId}),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || "The interview could not start.");
    const {Room, RoomEvent, DisconnectReason} = LivekitClient;
    const next = new Room();
    next.on(RoomEvent.TrackSubscribed, (track) => { if (track.kind === "audio") track.attach($("agent-audio")); });
    next.on(RoomEvent.DataReceived, (payload, _from, _kind, topic) => {
      if (topic === EVENTS_TOPIC) onEvent(JSON.parse(new TextDecoder().decode(payload)));
    });
    // LiveKit first resumes the connection itself; when it gives up, rejoin with a fresh token like the aiortc path.
    next.on(RoomEvent.Reconnecting, () => { setState("reconnecting"); showError("Connection lost. Reconnecting…"); });
    next.on(RoomEvent.Reconnected, () => joined(next));
    next.on(RoomEvent.Disconnected, (reason) => {
      if (ended || room !== next) return;  // our own hang-up, or a join that never succeeded
      if (reason !== DisconnectReason.DUPLICATE_IDENTITY) return reconnect();
      room = null;
      setState("disconnected");
      showError("The interview continues in another tab or device. Press Start interview to move it here.");
      start.disabled = false;
    });
    try {
      await next.connect(body.url, body.token);
    } catch (e) {
      throw new Error(`Could not reach the interview server (LiveKit): ${e.message}`);
    }
    room = next;
    joined(next);
    try {
      await next.localParticipant.setMicrophoneEnabled(true, {echoCancellation: true, noiseSuppression: true});
    } catch (e) {
      hangUp();
      throw new Error(`The microphone could not join the interview: ${e.message}`);
    }
  }

  function hangUp() {
    if (pc) pc.close();
    if (room) { const leaving = room; room = null; leaving.disconnect(); }
  }

  // A dropped connection reconnects by itself; the server resumes at the question the candidate was on.
  async function reconnect() {
    if (ended) return;
    hangUp();
    retries += 1;
    if (retries > 5) {
      setState("disconnected");
      showError("The connection keeps dropping. Check your network, then press Start interview to continue where you left off.");
      start.disabled = false;
      return;
    }
    setState("reconnecting");
    showError(`Connection lost. Reconnecting (attempt ${retries} of 5)…`);
    await new Promise((resolve) => setTimeout(resolve, 1000 * retries));
    try { await connect(); } catch (e) { reconnect(); }
  }

  function onEvent(event) {
    if (event.type === "state") setState(event.state);
    else if (event.type === "caption" && event.final) { addCaption(event.speaker, event.text); interim.textContent = ""; }
    else if (event.type === "caption") interim.textContent = "You: " + event.text;
    else if (event.type === "question") progress.textContent = `question ${event.number} of ${event.total}`;
    else if (event.type === "handoff") handoff = event.url;
    else if (event.type === "end") event.completed ? complete() : finish("The interview has ended. You can start again with the same link until it expires.");
  }

  // The closing line has been heard: open the labeling tasks (interview + assessment), or say goodbye.
  function complete() {
    finish("The interview is complete. Thank you!");
    const done = $("done");
    done.hidden = false;
    if (handoff) {
      $("done-text").textContent = "Next come a few short labeling tasks. They open in a few seconds…";
      const link = $("next");
      link.href = handoff;
      link.hidden = false;
      link.focus();
      setTimeout(() => window.location.assign(handoff), 4000);
    }
  }

  function finish(message) {
    ended = true;
    setState("ended");
    addCaption("system", message);
    start.disabled = true;
    end.disabled = true;
    hangUp();
  }

  start.addEventListener("click", async () => {
    showError("");
    start.disabled = true;
    setState("connecting");
    try {
      await connect();
      end.disabled = false;
    } catch (e) {
      setState("not started");
      start.disabled = false;
      showError(e.message);
    }
  });
  end.addEventListener("click", () => {
    // Tell the agent why the call ends, so the interview is stored as ended by the candidate (not a lost connection).
    const message = "You ended the interview. You can start again with the same link until it expires.";
    end.disabled = true;
    if (!dataChannel || dataChannel.readyState !== "open") return finish(message);
    dataChannel.send(JSON.stringify({type: "end"}));
    setTimeout(() => finish(message), 300);  // let the message leave before the connection closes
  });
})();
