import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

// A loopback model provider for tests: enough of the Anthropic Messages API,
// the OpenAI Chat Completions API and the OpenAI Responses API (streamed and
// not) for the broker and the agents' own command-line tools. It checks the
// key it was given, records what it received, and answers from a script.

export type ScriptedTurn =
  { text: string } | { tool: { name: string; input: Record<string, unknown> } };

export interface FakeProviderOptions {
  anthropicKey: string;
  openaiKey: string;
  /** Answers in order; once used up, every answer is the text "Done." */
  script?: ScriptedTurn[];
  /** Tokens reported for each answer. */
  usage?: { input: number; output: number };
  /** Awaited before each streamed event after the first. */
  beforeEvent?: () => Promise<void>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeProvider {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  body: Record<string, unknown>;
  turn: ScriptedTurn;
  usage: { input: number; output: number };
}

const DEFAULT_USAGE = { input: 12, output: 7 };

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Splits text into small pieces so a stream has several deltas. */
function pieces(text: string): string[] {
  return text.match(/.{1,8}/gs) ?? [""];
}

function eventStream(exchange: Exchange, gate: FakeProviderOptions) {
  exchange.res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
  });
  let first = true;
  return async (name: string | undefined, data: unknown) => {
    if (!first && gate.beforeEvent) await gate.beforeEvent();
    first = false;
    const head = name ? `event: ${name}\n` : "";
    const payload = typeof data === "string" ? data : JSON.stringify(data);
    exchange.res.write(`${head}data: ${payload}\n\n`);
  };
}

async function anthropicMessages(ex: Exchange, options: FakeProviderOptions) {
  const model = String(ex.body.model ?? "fake-model");
  const { turn, usage } = ex;
  const block =
    "text" in turn
      ? { type: "text", text: turn.text }
      : {
          type: "tool_use",
          id: `toolu_fake_${Date.now()}`,
          name: turn.tool.name,
          input: turn.tool.input,
        };
  const stopReason = "text" in turn ? "end_turn" : "tool_use";
  const message = {
    id: `msg_fake_${Date.now()}`,
    type: "message",
    role: "assistant",
    model,
    content: [block],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  };
  if (ex.body.stream !== true) return json(ex.res, 200, message);

  const send = eventStream(ex, options);
  await send("message_start", {
    type: "message_start",
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { input_tokens: usage.input, output_tokens: 1 },
    },
  });
  const start =
    block.type === "text"
      ? { type: "text", text: "" }
      : { ...block, input: {} };
  await send("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: start,
  });
  const deltas =
    "text" in turn
      ? pieces(turn.text).map((text) => ({ type: "text_delta", text }))
      : pieces(JSON.stringify(turn.tool.input)).map((partial_json) => ({
          type: "input_json_delta",
          partial_json,
        }));
  for (const delta of deltas) {
    await send("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta,
    });
  }
  await send("content_block_stop", { type: "content_block_stop", index: 0 });
  await send("message_delta", {
    type: "message_delta",
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  await send("message_stop", { type: "message_stop" });
  ex.res.end();
}

async function chatCompletions(ex: Exchange, options: FakeProviderOptions) {
  const model = String(ex.body.model ?? "fake-model");
  const { turn, usage } = ex;
  const id = `chatcmpl-fake-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const toolCall =
    "tool" in turn
      ? {
          id: `call_fake_${Date.now()}`,
          type: "function",
          function: {
            name: turn.tool.name,
            arguments: JSON.stringify(turn.tool.input),
          },
        }
      : undefined;
  const finish = toolCall ? "tool_calls" : "stop";
  const usageBody = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
  };
  if (ex.body.stream !== true) {
    return json(ex.res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "text" in turn ? turn.text : null,
            ...(toolCall ? { tool_calls: [toolCall] } : {}),
          },
          finish_reason: finish,
        },
      ],
      usage: usageBody,
    });
  }

  const send = eventStream(ex, options);
  const chunk = (delta: unknown, finishReason: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  await send(undefined, chunk({ role: "assistant", content: "" }, null));
  if ("text" in turn) {
    for (const content of pieces(turn.text)) {
      await send(undefined, chunk({ content }, null));
    }
  } else if (toolCall) {
    await send(
      undefined,
      chunk({ tool_calls: [{ index: 0, ...toolCall }] }, null),
    );
  }
  await send(undefined, chunk({}, finish));
  const options_ = ex.body.stream_options as { include_usage?: boolean };
  if (options_?.include_usage) {
    await send(undefined, {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: usageBody,
    });
  }
  await send(undefined, "[DONE]");
  ex.res.end();
}

async function responses(ex: Exchange, options: FakeProviderOptions) {
  const model = String(ex.body.model ?? "fake-model");
  const { turn, usage } = ex;
  const id = `resp_fake_${Date.now()}`;
  const item =
    "text" in turn
      ? {
          type: "message",
          id: `msg_fake_${Date.now()}`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: turn.text, annotations: [] }],
        }
      : {
          type: "function_call",
          id: `fc_fake_${Date.now()}`,
          call_id: `call_fake_${Date.now()}`,
          name: turn.tool.name,
          arguments: JSON.stringify(turn.tool.input),
          status: "completed",
        };
  const response = {
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model,
    output: [item],
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
  };
  if (ex.body.stream !== true) return json(ex.res, 200, response);

  const send = eventStream(ex, options);
  const inProgress = {
    ...response,
    status: "in_progress",
    output: [],
    usage: null,
  };
  await send("response.created", {
    type: "response.created",
    response: inProgress,
  });
  await send("response.output_item.added", {
    type: "response.output_item.added",
    output_index: 0,
    item: { ...item, status: "in_progress" },
  });
  if ("text" in turn) {
    for (const delta of pieces(turn.text)) {
      await send("response.output_text.delta", {
        type: "response.output_text.delta",
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta,
      });
    }
  }
  await send("response.output_item.done", {
    type: "response.output_item.done",
    output_index: 0,
    item,
  });
  await send("response.completed", { type: "response.completed", response });
  ex.res.end();
}

function authorised(req: IncomingMessage, options: FakeProviderOptions) {
  const key = req.headers["x-api-key"];
  if (key !== undefined) return key === options.anthropicKey;
  return req.headers.authorization === `Bearer ${options.openaiKey}`;
}

export async function startFakeModelProvider(
  options: FakeProviderOptions,
): Promise<FakeProvider> {
  const requests: ReceivedRequest[] = [];
  const script = [...(options.script ?? [])];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return json(res, 400, { error: { message: "body is not JSON" } });
      }
      const path = (req.url ?? "").split("?")[0]!;
      requests.push({
        method: req.method ?? "",
        path,
        headers: { ...req.headers },
        body,
      });
      if (!authorised(req, options)) {
        return json(res, 401, {
          type: "error",
          error: { type: "authentication_error", message: "invalid api key" },
        });
      }
      const answer = (handler: typeof anthropicMessages) => {
        const turn = script.shift() ?? { text: "Done." };
        const usage = options.usage ?? DEFAULT_USAGE;
        handler({ req, res, body, turn, usage }, options).catch(() =>
          res.destroy(),
        );
      };
      if (path.endsWith("/v1/messages/count_tokens")) {
        return json(res, 200, { input_tokens: 10 });
      }
      if (path.endsWith("/v1/messages")) return answer(anthropicMessages);
      if (path.endsWith("/v1/chat/completions")) return answer(chatCompletions);
      if (path.endsWith("/v1/responses")) return answer(responses);
      if (path.endsWith("/v1/models")) {
        return json(res, 200, { object: "list", data: [] });
      }
      json(res, 404, { error: { message: `no route ${path}` } });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
