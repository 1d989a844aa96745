import { describe, expect, it } from "vitest";

import { observeUsage } from "../../runner/door/model-usage.ts";

function feed(contentType: string, text: string, chunkSize: number) {
  const observer = observeUsage(contentType);
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i += chunkSize) {
    observer.write(bytes.subarray(i, i + chunkSize));
  }
  return observer.end();
}

const anthropicStream = [
  "event: message_start",
  'data: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":25,"cache_read_input_tokens":100,"output_tokens":1}}}',
  "",
  "event: content_block_delta",
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo ✓"}}',
  "",
  "event: message_delta",
  'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}',
  "",
  "event: message_delta",
  'data: {"type":"message_delta","delta":{},"usage":{"output_tokens":42}}',
  "",
  "",
].join("\r\n");

describe("observeUsage", () => {
  it.each([1, 3, 64, 100000])(
    "reads cumulative Anthropic stream usage in chunks of %i bytes",
    (size) => {
      expect(
        feed("text/event-stream; charset=utf-8", anthropicStream, size),
      ).toEqual({
        inputTokens: 125,
        outputTokens: 42,
        model: "claude-x",
      });
    },
  );

  it("reads OpenAI's final usage chunk and ignores [DONE]", () => {
    const text = [
      'data: {"model":"gpt-x","choices":[{"delta":{"content":"a"}}],"usage":null}',
      "",
      'data: {"model":"gpt-x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}',
      "",
      "data: [DONE]",
      "",
      "",
    ].join("\n");
    expect(feed("text/event-stream", text, 5)).toEqual({
      inputTokens: 9,
      outputTokens: 4,
      model: "gpt-x",
    });
  });

  it("reads usage from a JSON body", () => {
    const body = JSON.stringify({
      model: "m",
      usage: { input_tokens: 3, output_tokens: 2 },
    });
    expect(feed("application/json", body, 7)).toEqual({
      inputTokens: 3,
      outputTokens: 2,
      model: "m",
    });
  });

  it("finds nothing in bodies without usage or with nonsense in it", () => {
    expect(feed("application/json", "{not json", 4)).toBeUndefined();
    expect(
      feed(
        "application/json",
        '{"usage":{"input_tokens":-5,"output_tokens":"9"}}',
        4,
      ),
    ).toBeUndefined();
    expect(feed("text/plain", "usage", 4)).toBeUndefined();
    expect(
      feed("text/event-stream", `data: {${"x".repeat(3_000_000)}\n\n`, 65536),
    ).toBeUndefined();
  });
});
