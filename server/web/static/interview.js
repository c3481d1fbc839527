// Candidate voice interview: microphone check, WebRTC to /rtc/offer, captions and state from the data channel.
(() => {
  const root = document.getElementById("interview");
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const micButton = $("mic"), start = $("start"), end = $("end"), state = $("state"), error = $("error");
  const captions = $("captions"), interim = $("interim"), progress = $("progress");
  let stream = null, pc = null, ended = false, retries = 0;
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

  async function connect() {
    pc = new RTCPeerConnection();
    stream.getAudioTracks().forEach((track) => pc.addTrack(track, stream));
    pc.addEventListener("track", (event) => { $("agent-audio").srcObject = event.streams[0] || new MediaStream([event.track]); });
    const channel = pc.createDataChannel("gaia");
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

  // A dropped connection reconnects by itself; the server resumes at the question the candidate was on.
  async function reconnect() {
    if (ended) return;
    pc.close();
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
    else if (event.type === "end") finish(event.completed ? "The interview is complete. Thank you!" : "The interview has ended.");
  }

  function finish(message) {
    ended = true;
    setState("ended");
    addCaption("system", message);
    start.disabled = true;
    end.disabled = true;
    if (pc) pc.close();
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
  end.addEventListener("click", () => finish("You ended the interview. You can start again with the same link until it expires."));
})();
