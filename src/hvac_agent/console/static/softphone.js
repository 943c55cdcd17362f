// Browser softphone: the microphone as Twilio media-stream events (μ-law 8 kHz, 20 ms frames) over
// a WebSocket to the same pipeline a phone call uses; the agent's audio is played back and each
// `mark` is echoed once the audio before it has played, as Twilio does.
"use strict";
(function () {
  var RATE = 8000, FRAME = 160;
  var callButton = document.getElementById("call");
  var hangupButton = document.getElementById("hangup");
  var statusLine = document.getElementById("status");
  var transcript = document.getElementById("transcript");
  var keys = document.querySelectorAll(".keypad button");
  var call = null;

  function say(text) { statusLine.textContent = text; }

  // G.711 μ-law, 16-bit linear in and out.
  function encodeUlaw(sample) {
    var sign = (sample >> 8) & 0x80;
    if (sign) sample = -sample;
    if (sample > 32635) sample = 32635;
    sample += 0x84;
    var exponent = 7;
    for (var mask = 0x4000; (sample & mask) === 0 && exponent > 0; exponent--, mask >>= 1) { /* find the top bit */ }
    var mantissa = (sample >> (exponent + 3)) & 0x0f;
    return ~(sign | (exponent << 4) | mantissa) & 0xff;
  }
  function decodeUlaw(u) {
    u = ~u & 0xff;
    var t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    return (u & 0x80) ? (0x84 - t) : (t - 0x84);
  }
  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }
  function fromBase64(text) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // Averages the context's rate down to 8 kHz when the browser would not open an 8 kHz context.
  function Downsampler(fromRate) {
    var step = fromRate / RATE, position = 0, sum = 0, count = 0;
    this.push = function (block, out) {
      for (var i = 0; i < block.length; i++) {
        sum += block[i]; count++; position += 1;
        if (position >= step) { out.push(sum / count); position -= step; sum = 0; count = 0; }
      }
    };
  }

  function Call(callerNumber) {
    var self = this;
    this.seq = 0;
    this.streamSid = "MZ" + Math.random().toString(16).slice(2) + Date.now().toString(16);
    this.pending = [];        // μ-law bytes waiting to fill a frame
    this.marks = [];          // {name, at}: echo once the context's clock passes `at`
    this.sources = [];
    this.playhead = 0;
    this.chunk = 0;
    this.ended = false;

    this.send = function (message) {
      if (self.ws && self.ws.readyState === WebSocket.OPEN) {
        self.seq += 1;
        message.sequenceNumber = String(self.seq);
        self.ws.send(JSON.stringify(message));
      }
    };

    this.start = async function () {
      say("Asking for the microphone…");
      self.media = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true }
      });
      try {
        self.ctx = new AudioContext({ sampleRate: RATE });
        self.input = self.ctx.createMediaStreamSource(self.media);
      } catch (error) {
        self.ctx = new AudioContext();
        self.input = self.ctx.createMediaStreamSource(self.media);
      }
      self.down = self.ctx.sampleRate === RATE ? null : new Downsampler(self.ctx.sampleRate);
      await self.ctx.audioWorklet.addModule("/console/static/capture-worklet.js");
      self.node = new AudioWorkletNode(self.ctx, "capture-processor");
      self.node.port.onmessage = function (event) { self.capture(event.data); };
      self.input.connect(self.node);
      await self.ctx.resume();
      var scheme = location.protocol === "https:" ? "wss:" : "ws:";
      var query = callerNumber ? "?caller=" + encodeURIComponent(callerNumber) : "";
      self.ws = new WebSocket(scheme + "//" + location.host + "/console/softphone/ws" + query);
      self.ws.onmessage = function (event) { self.receive(JSON.parse(event.data)); };
      self.ws.onclose = function () { self.finish("Call ended."); };
      self.ws.onerror = function () { say("The connection failed."); };
      self.timer = setInterval(self.echoMarks, 20);
      say("Connecting…");
    };

    this.capture = function (block) {
      if (!self.started) return;
      var samples = [];
      if (self.down) self.down.push(block, samples); else samples = block;
      for (var i = 0; i < samples.length; i++) {
        var s = Math.max(-1, Math.min(1, samples[i]));
        self.pending.push(encodeUlaw(Math.round(s * 32767)));
      }
      while (self.pending.length >= FRAME) {
        var frame = self.pending.splice(0, FRAME);
        self.chunk += 1;
        self.send({ event: "media", streamSid: self.streamSid, media: {
          track: "inbound", chunk: String(self.chunk), timestamp: String(self.chunk * 20),
          payload: toBase64(frame) } });
      }
    };

    this.receive = function (message) {
      if (message.event === "softphone") {
        self.callSid = message.callSid;
        self.send({ event: "connected", protocol: "Call", version: "1.0.0" });
        self.send({ event: "start", streamSid: self.streamSid, start: {
          streamSid: self.streamSid, callSid: self.callSid, tracks: ["inbound"], customParameters: {},
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: RATE, channels: 1 } } });
        self.started = true;
        say("On the call.");
        setKeys(true);
        var link = document.getElementById("call-link");
        link.hidden = false;
        link.querySelector("a").href = "/console/calls/" + encodeURIComponent(self.callSid);
        transcript.textContent = "";
        self.live = window.hvacLive.follow(transcript, "/console/calls/" + encodeURIComponent(self.callSid) + "/events");
      } else if (message.event === "media") {
        self.play(fromBase64(message.media.payload));
      } else if (message.event === "mark") {
        self.marks.push({ name: message.mark.name, at: Math.max(self.playhead, self.ctx.currentTime) });
      } else if (message.event === "clear") {
        self.sources.forEach(function (source) { try { source.stop(); } catch (e) { /* already over */ } });
        self.sources = [];
        self.playhead = self.ctx.currentTime;
        self.marks.forEach(function (mark) { mark.at = 0; });
        self.echoMarks();
      }
    };

    this.play = function (bytes) {
      var buffer = self.ctx.createBuffer(1, bytes.length, RATE);
      var data = buffer.getChannelData(0);
      for (var i = 0; i < bytes.length; i++) data[i] = decodeUlaw(bytes[i]) / 32768;
      var source = self.ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(self.ctx.destination);
      var at = Math.max(self.playhead, self.ctx.currentTime);
      source.start(at);
      self.playhead = at + buffer.duration;
      self.sources.push(source);
      source.onended = function () { self.sources = self.sources.filter(function (s) { return s !== source; }); };
    };

    this.echoMarks = function () {
      if (!self.ctx) return;
      var now = self.ctx.currentTime;
      while (self.marks.length && self.marks[0].at <= now) {
        self.send({ event: "mark", streamSid: self.streamSid, mark: { name: self.marks.shift().name } });
      }
    };

    this.dtmf = function (digit) { self.send({ event: "dtmf", streamSid: self.streamSid, dtmf: { track: "inbound_track", digit: digit } }); };

    this.hangUp = function () {
      self.send({ event: "stop", streamSid: self.streamSid, stop: { callSid: self.callSid } });
      if (self.ws) self.ws.close();
      self.finish("You hung up.");
    };

    this.finish = function (text) {
      if (self.ended) return;
      self.ended = true;
      clearInterval(self.timer);
      if (self.media) self.media.getTracks().forEach(function (track) { track.stop(); });
      if (self.ctx) setTimeout(function () { self.ctx.close(); }, 1500);  // let the goodbye finish
      say(text);
      setKeys(false);
      callButton.disabled = false;
      hangupButton.disabled = true;
      call = null;
    };
  }

  function setKeys(enabled) { keys.forEach(function (key) { key.disabled = !enabled; }); }

  callButton.addEventListener("click", function () {
    if (call) return;
    callButton.disabled = true;
    hangupButton.disabled = false;
    call = new Call(document.getElementById("caller").value.trim());
    call.start().catch(function (error) {
      if (call) call.finish("Could not start the call: " + error.message);
    });
  });
  hangupButton.addEventListener("click", function () { if (call) call.hangUp(); });
  keys.forEach(function (key) {
    key.addEventListener("click", function () { if (call) call.dtmf(key.dataset.digit); });
  });
})();
