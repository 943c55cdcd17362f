// Microphone capture: hands the main thread blocks of mono float samples at the context's rate.
class CaptureProcessor extends AudioWorkletProcessor {
  process(inputs) {
    const input = inputs[0];
    if (input && input[0] && input[0].length) this.port.postMessage(input[0].slice(0));
    return true;
  }
}
registerProcessor("capture-processor", CaptureProcessor);
