"""The browser transport on two real aiortc peer connections over loopback: the candidate's audio reaches the
session's input through a jitter buffer that releases each frame as soon as the next one is in."""

from __future__ import annotations

import asyncio
import time

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from agent.talk import ScriptedMic
from agent.transports.webrtc import _JITTER_BUFFER, INBOUND_AUDIO_PREFETCH, WebRTCTransport, release_audio_sooner


async def test_candidate_audio_arrives_through_a_one_frame_jitter_buffer() -> None:
    heard: list[np.ndarray] = []
    transport = WebRTCTransport(on_candidate_audio=heard.append)
    client = RTCPeerConnection()
    mic = ScriptedMic()
    client.addTrack(mic)
    try:
        await client.setLocalDescription(await client.createOffer())
        answer = await transport.answer(client.localDescription.sdp)
        await client.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))
        receivers = [r for r in transport.pc.getReceivers() if r.track is not None and r.track.kind == "audio"]
        assert len(receivers) == 1
        assert getattr(receivers[0], _JITTER_BUFFER)._prefetch == INBOUND_AUDIO_PREFETCH == 1

        tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000)).astype(np.int16)
        mic.play(tone, 16_000)
        deadline = time.monotonic() + 10
        while not any(np.abs(chunk).max() > 2000 for chunk in heard):
            assert time.monotonic() < deadline, "no candidate audio reached the transport"
            await asyncio.sleep(0.02)
    finally:
        await client.close()
        await transport.close()


def test_a_receiver_without_aiortcs_buffer_is_left_alone() -> None:
    class Other:
        pass

    other = Other()
    assert release_audio_sooner(other) is False  # type: ignore[arg-type]
    assert not hasattr(other, _JITTER_BUFFER)
