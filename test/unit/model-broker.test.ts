import { randomBytes } from "node:crypto";
import { request, type IncomingHttpHeaders } from "node:http";

import { afterEach, describe, expect, it } from "vitest";

import { createModelBroker } from "../../runner/door/model-broker.ts";
import {
  capturedLog,
  memoryAudit,
  startTestDoor,
} from "../support/egress-test-door.ts";
import {
  startFakeModelProvider,
  type FakeProviderOptions,
} from "../support/fake-model-provider.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const ANTHROPIC_KEY = `sk-ant-canary-${randomBytes(12).toString("hex")}`;
const OPENAI_KEY = `sk-openai-canary-${randomBytes(12).toString("hex")}`;
const PLACEHOLDER = "sk-placeholder-not-a-secret";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const answers: Answer[] = [];

async function setup(
  options: {
    tokenBudget?: number;
    provider?: Partial<FakeProviderOptions>;
    prefix?: string;
    only?: "anthropic";
  } = {},
) {
  const fake = await startFakeModelProvider({
    anthropicKey: ANTHROPIC_KEY,
    openaiKey: OPENAI_KEY,
    ...options.provider,
  });
  cleanups.push(() => fake.close());
  const audit = memoryAudit();
  const { log, text } = capturedLog();
  let exceeded = 0;
  const base = `${fake.url}${options.prefix ?? ""}`;
  const broker = createModelBroker({
    providers: {
      anthropic: { baseUrl: base, apiKey: ANTHROPIC_KEY },
      ...(options.only
        ? {}
        : { openai: { baseUrl: base, apiKey: OPENAI_KEY } }),
    },
    tokenBudget: options.tokenBudget,
    onBudgetExceeded: () => void exceeded++,
    log,
    audit,
  });
  cleanups.push(() => broker.close());
  const door = await startTestDoor({
    handleOrigin: (req, res) => broker.handleRequest(req, res),
  });
  cleanups.push(() => door.close());

  const call = (
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    onChunk?: (chunk: string) => void,
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: door.port,
          method: "POST",
          path,
          headers: { "content-type": "application/json", ...headers },
        },
        (res) => {
          const chunks: string[] = [];
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            chunks.push(chunk);
            onChunk?.(chunk);
          });
          res.on("end", () => {
            const answer = {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: chunks.join(""),
            };
            answers.push(answer);
            resolve(answer);
          });
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });

  return {
    fake,
    broker,
    audit,
    logText: text,
    call,
    exceeded: () => exceeded,
  };
}

const anthropicHeaders = {
  "x-api-key": PLACEHOLDER,
  "anthropic-version": "2023-06-01",
};
const openaiHeaders = { authorization: `Bearer ${PLACEHOLDER}` };
const messageBody = {
  model: "claude-test",
  max_tokens: 100,
  messages: [{ role: "user", content: "hi" }],
};
const chatBody = {
  model: "gpt-test",
  messages: [{ role: "user", content: "hi" }],
};

describe("the Anthropic route", () => {
  it("swaps the sandbox's placeholder for the door's key and records usage", async () => {
    const { fake, broker, audit, call } = await setup();
    const answer = await call("/model/anthropic/v1/messages", messageBody, {
      ...anthropicHeaders,
      authorization: "Bearer sk-from-the-sandbox",
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).content[0].text).toBe("Done.");

    const seen = fake.requests[0]!;
    expect(seen.path).toBe("/v1/messages");
    expect(seen.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["anthropic-version"]).toBe("2023-06-01");
    expect(broker.usage()).toEqual([
      { provider: "anthropic", inputTokens: 12, outputTokens: 7 },
    ]);
    await broker.close();
    expect(audit.events).toEqual([
      {
        kind: "model_usage",
        data: {
          provider: "anthropic",
          path: "/v1/messages",
          status: 200,
          model: "claude-test",
          inputTokens: 12,
          outputTokens: 7,
        },
      },
    ]);
  });

  it("streams events through one by one and reads usage from them", async () => {
    const waiting: Array<() => void> = [];
    const { broker, call } = await setup({
      provider: {
        usage: { input: 30, output: 40 },
        beforeEvent: () => new Promise<void>((go) => waiting.push(go)),
      },
    });
    const received: string[] = [];
    const done = call(
      "/model/anthropic/v1/messages?beta=true",
      { ...messageBody, stream: true },
      anthropicHeaders,
      (chunk) => {
        received.push(chunk);
        // Release the provider's next event only after this one arrived:
        // a buffering broker would never deliver the first and would hang.
        waiting.shift()?.();
      },
    );
    const answer = await done;
    expect(answer.headers["content-type"]).toBe("text/event-stream");
    expect(received[0]).toContain("message_start");
    expect(received.length).toBeGreaterThan(5);
    expect(answer.body).toContain("message_stop");
    expect(broker.usage()).toEqual([
      { provider: "anthropic", inputTokens: 30, outputTokens: 40 },
    ]);
  });

  it("keeps a base URL's path in front of the sandbox's path", async () => {
    const { fake, call } = await setup({ prefix: "/gateway/anthropic" });
    await call("/model/anthropic/v1/messages", messageBody, anthropicHeaders);
    expect(fake.requests[0]!.path).toBe("/gateway/anthropic/v1/messages");
  });
});

describe("the OpenAI route", () => {
  it("adds the bearer key and records usage from a plain answer", async () => {
    const { fake, broker, call } = await setup();
    const answer = await call("/model/openai/v1/chat/completions", chatBody, {
      ...openaiHeaders,
      "x-api-key": "sk-from-the-sandbox",
      "openai-organization": "org-other",
    });
    expect(answer.status).toBe(200);
    const seen = fake.requests[0]!;
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(seen.headers["openai-organization"]).toBeUndefined();
    expect(broker.usage()).toEqual([
      { provider: "openai", inputTokens: 12, outputTokens: 7 },
    ]);
  });

  it("reads usage from the last chunk of a stream with include_usage", async () => {
    const { broker, call } = await setup();
    const answer = await call(
      "/model/openai/v1/chat/completions",
      { ...chatBody, stream: true, stream_options: { include_usage: true } },
      openaiHeaders,
    );
    expect(answer.body).toContain("data: [DONE]");
    expect(broker.usage()).toEqual([
      { provider: "openai", inputTokens: 12, outputTokens: 7 },
    ]);
  });

  it("reads usage from a streamed Responses API answer", async () => {
    const { broker, call } = await setup({
      provider: { usage: { input: 100, output: 5 } },
    });
    await call(
      "/model/openai/v1/responses",
      { model: "gpt-test", input: "hi", stream: true },
      openaiHeaders,
    );
    expect(broker.usage()).toEqual([
      { provider: "openai", inputTokens: 100, outputTokens: 5 },
    ]);
  });

  it("answers 503 naming the setting when no key is configured", async () => {
    const { fake, call } = await setup({ only: "anthropic" });
    const answer = await call("/model/openai/v1/chat/completions", chatBody);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain("OPENAI_API_KEY");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("the token budget", () => {
  it("reports once when spent and refuses later calls before the provider", async () => {
    const { fake, broker, audit, call, exceeded } = await setup({
      tokenBudget: 30,
    });
    await call("/model/anthropic/v1/messages", messageBody, anthropicHeaders);
    expect(exceeded()).toBe(0);
    await call("/model/openai/v1/chat/completions", chatBody, openaiHeaders);
    expect(exceeded()).toBe(1);

    const refused = await call(
      "/model/anthropic/v1/messages",
      messageBody,
      anthropicHeaders,
    );
    expect(refused.status).toBe(429);
    expect(refused.headers["x-should-retry"]).toBe("false");
    expect(JSON.parse(refused.body).error.message).toMatch(
      /token budget of 30 tokens is spent \(38 used\); raise RUN_TOKEN_BUDGET/,
    );
    await call("/model/openai/v1/chat/completions", chatBody, openaiHeaders);
    expect(exceeded()).toBe(1);
    expect(fake.requests).toHaveLength(2);
    expect(broker.usage()).toHaveLength(2);
    await broker.close();
    expect(audit.events.map((event) => event.kind)).toContain(
      "model_budget_exceeded",
    );
  });
});

describe("hostile paths", () => {
  it.each([
    ["/model/anthropic/../v1/messages", 400],
    ["/model/anthropic/v1/%2e%2e/admin", 400],
    ["/model/anthropic/v1%2fmessages", 400],
    ["/model/anthropic//evil.example/v1", 400],
    ["/model/other/v1/messages", 404],
    ["/model", 404],
  ])("refuses %s with %i and sends nothing upstream", async (path, status) => {
    const { fake, call } = await setup();
    const answer = await call(path, messageBody, anthropicHeaders);
    expect(answer.status).toBe(status);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("keys", () => {
  it("never reach the sandbox, the logs or the audit trail", async () => {
    const { call, broker, audit, logText } = await setup({
      provider: { anthropicKey: "a-different-key" },
    });
    answers.length = 0;
    await call("/model/anthropic/v1/messages", messageBody, anthropicHeaders);
    await call(
      "/model/anthropic/v1/messages",
      { ...messageBody, stream: true },
      anthropicHeaders,
    );
    await call(
      "/model/openai/v1/chat/completions",
      { ...chatBody, stream: true },
      openaiHeaders,
    );
    await call("/model/openai/../x", {}, openaiHeaders);
    expect(answers[0]!.status).toBe(401);

    const down = createModelBroker({
      providers: {
        anthropic: { baseUrl: "http://127.0.0.1:1", apiKey: ANTHROPIC_KEY },
      },
      onBudgetExceeded: () => undefined,
      log: capturedLog().log,
      audit,
    });
    cleanups.push(() => down.close());
    const door = await startTestDoor({
      handleOrigin: (req, res) => down.handleRequest(req, res),
    });
    cleanups.push(() => door.close());
    const unreachable = await new Promise<string>((resolve) => {
      request(
        {
          host: "127.0.0.1",
          port: door.port,
          method: "POST",
          path: "/model/anthropic/v1/messages",
        },
        (res) => {
          let body = "";
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () =>
            resolve(`${res.statusCode} ${JSON.stringify(res.headers)} ${body}`),
          );
        },
      ).end("{}");
    });
    expect(unreachable).toMatch(/^502 .*could not be reached \(ECONNREFUSED\)/);

    let badKeyError = "";
    try {
      createModelBroker({
        providers: {
          openai: { baseUrl: "https://x.example", apiKey: `${OPENAI_KEY}\r\n` },
        },
        onBudgetExceeded: () => undefined,
        log: capturedLog().log,
        audit,
      });
    } catch (err) {
      badKeyError = `${(err as Error).message} ${(err as Error).stack}`;
    }
    expect(badKeyError).toContain("OPENAI_API_KEY");

    await broker.close();
    await down.close();
    const everything = [
      ...answers.map(
        (a) => `${a.status} ${JSON.stringify(a.headers)} ${a.body}`,
      ),
      unreachable,
      badKeyError,
      logText(),
      JSON.stringify(audit.events),
      JSON.stringify(broker.usage()),
    ].join("\n");
    expect(everything.length).toBeGreaterThan(1000);
    expect(everything).not.toContain(ANTHROPIC_KEY);
    expect(everything).not.toContain(OPENAI_KEY);
    expect(everything).not.toContain("canary");
  });
});
