// A parser of server-sent events (the WHATWG "event stream" format) for answers read with fetch:
// EventSource cannot POST or send a token. Bytes arrive in chunks cut anywhere, inside a line, a
// CRLF pair or a multi-byte UTF-8 character; the parser keeps what it has not finished and hands
// out whole events only.
//
//   const parser = new SSEParser();
//   for (const event of parser.push(chunk)) ...   // chunk: Uint8Array or string
//   parser.end();                                 // an unfinished last event is dropped, as the spec says
//
// An event is { event, data, id }: `event` is "message" unless the stream named it, `data` the
// data lines joined with "\n", `id` the last event id seen (or "").

export class SSEParser {
  constructor() {
    this.decoder = new TextDecoder("utf-8"); // drops a leading BOM, as the format asks
    this.buffer = ""; // text after the last line break
    this.started = false; // text has arrived (a BOM may only open the stream)
    this.skipLF = false; // the last chunk ended in CR: an LF that starts the next one belongs to it
    this.resetEvent();
    this.lastEventId = "";
    this.retry = null;
  }

  resetEvent() {
    this.eventType = "";
    this.dataLines = [];
    this.hasData = false;
  }

  // Feeds a chunk; returns the events it completed, in order.
  push(chunk) {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text[0] === "\uFEFF") text = text.slice(1); // text given as strings keeps its BOM
    }
    return this.feed(text);
  }

  // The stream ended: flushes the decoder; a last event without its blank line is not dispatched.
  end() {
    const events = this.feed(this.decoder.decode());
    this.buffer = "";
    this.resetEvent();
    return events;
  }

  feed(text) {
    const events = [];
    let start = 0;
    if (this.skipLF && text.length > 0) {
      if (text[0] === "\n") start = 1;
      this.skipLF = false;
    }
    let lineStart = start;
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (char !== "\n" && char !== "\r") continue;
      const line = this.buffer + text.slice(lineStart, i);
      this.buffer = "";
      this.line(line, events);
      if (char === "\r") {
        if (i + 1 < text.length) {
          if (text[i + 1] === "\n") i++;
        } else {
          this.skipLF = true;
        }
      }
      lineStart = i + 1;
    }
    this.buffer += text.slice(lineStart);
    return events;
  }

  line(line, events) {
    if (line === "") {
      this.dispatch(events);
      return;
    }
    if (line[0] === ":") return; // a comment (often a keep-alive)
    const colon = line.indexOf(":");
    let field = line;
    let value = "";
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
    }
    switch (field) {
      case "data":
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  dispatch(events) {
    if (this.hasData) {
      events.push({ event: this.eventType || "message", data: this.dataLines.join("\n"), id: this.lastEventId });
    }
    this.resetEvent();
  }
}

// Reads a fetch body (a ReadableStream of bytes) and yields its events as they complete.
// Aborting the fetch (its AbortSignal) ends the loop with the AbortError the reader throws; a
// caller that stops iterating cancels the body.
export async function* readEvents(body) {
  const reader = body.getReader();
  const parser = new SSEParser();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield* parser.push(value);
    }
    finished = true;
    yield* parser.end();
  } finally {
    // A reader left early (the caller stopped reading) cancels the body, so the connection closes.
    if (!finished) reader.cancel().catch(() => {});
  }
}
