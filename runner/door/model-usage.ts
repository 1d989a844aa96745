// Token usage read from a model response as it streams past, without
// holding up a single byte. Both providers' shapes are understood:
//
// - Anthropic Messages: `usage` on the message (JSON), or on
//   `message_start.message` then `message_delta` (SSE), where the delta's
//   counts are cumulative: https://docs.anthropic.com/en/api/messages-streaming
// - OpenAI Chat Completions: `usage` on the response, or on the final chunk
//   when `stream_options.include_usage` is set; the Responses API puts it on
//   `response.completed`'s `response`.
//
// Counts are cumulative in every stream we know, so the latest value of
// each field wins.

export interface TokenCount {
  inputTokens: number;
  outputTokens: number;
  model: string | undefined;
}

export interface UsageObserver {
  write(chunk: Buffer): void;
  /** The usage seen, or undefined when the response carried none. */
  end(): TokenCount | undefined;
}

// A JSON body larger than this is not a model response we can learn from;
// we stop copying it rather than hold it in memory.
const MAX_JSON_BYTES = 16 * 1024 * 1024;
// One SSE event larger than this is skipped for the same reason.
const MAX_EVENT_BYTES = 1024 * 1024;

interface Fields {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheRead?: number;
  model?: string;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0
    ? value
    : undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Folds the usage found in one JSON document (a body or an event) in. */
function absorb(fields: Fields, document: unknown): void {
  const top = asObject(document);
  if (!top) return;
  const holders = [top, asObject(top.message), asObject(top.response)];
  for (const holder of holders) {
    if (!holder) continue;
    if (typeof holder.model === "string") fields.model = holder.model;
    const usage = asObject(holder.usage);
    if (!usage) continue;
    const input = count(usage.input_tokens) ?? count(usage.prompt_tokens);
    const output = count(usage.output_tokens) ?? count(usage.completion_tokens);
    const cacheWrite = count(usage.cache_creation_input_tokens);
    const cacheRead = count(usage.cache_read_input_tokens);
    if (input !== undefined) fields.input = input;
    if (output !== undefined) fields.output = output;
    if (cacheWrite !== undefined) fields.cacheWrite = cacheWrite;
    if (cacheRead !== undefined) fields.cacheRead = cacheRead;
  }
}

function result(fields: Fields): TokenCount | undefined {
  if (fields.input === undefined && fields.output === undefined) {
    return undefined;
  }
  // Anthropic reports cached prompt tokens apart from `input_tokens`; they
  // are still tokens the run used.
  const input =
    (fields.input ?? 0) + (fields.cacheWrite ?? 0) + (fields.cacheRead ?? 0);
  return {
    inputTokens: input,
    outputTokens: fields.output ?? 0,
    model: fields.model,
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function jsonObserver(): UsageObserver {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    end() {
      if (size > MAX_JSON_BYTES) return undefined;
      const fields: Fields = {};
      absorb(fields, parse(Buffer.concat(chunks).toString("utf8")));
      return result(fields);
    },
  };
}

function sseObserver(): UsageObserver {
  const fields: Fields = {};
  const decoder = new TextDecoder();
  let line = "";
  let data: string[] = [];
  let eventSize = 0;

  const dispatch = () => {
    const payload = data.join("\n");
    data = [];
    eventSize = 0;
    if (payload.length > 0 && payload !== "[DONE]") {
      absorb(fields, parse(payload));
    }
  };
  const take = (text: string) => {
    const full = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (full === "") return dispatch();
    if (!full.startsWith("data:")) return;
    const value = full.slice(5).replace(/^ /, "");
    eventSize += value.length;
    if (eventSize <= MAX_EVENT_BYTES) data.push(value);
  };

  return {
    write(chunk) {
      line += decoder.decode(chunk, { stream: true });
      let newline = line.indexOf("\n");
      while (newline >= 0) {
        take(line.slice(0, newline));
        line = line.slice(newline + 1);
        newline = line.indexOf("\n");
      }
      if (line.length > MAX_EVENT_BYTES) line = "";
    },
    end() {
      if (line.length > 0) take(line);
      dispatch();
      return result(fields);
    },
  };
}

/** An observer suited to the response's content type. */
export function observeUsage(contentType: string | undefined): UsageObserver {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/event-stream") return sseObserver();
  if (type === "application/json" || type.endsWith("+json")) {
    return jsonObserver();
  }
  return { write: () => undefined, end: () => undefined };
}
