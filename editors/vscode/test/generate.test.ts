// Drives the extension's Connect client (src/generate.ts) against a real
// `aiden serve` started here: the binary AIDEN_BIN names, else one built
// from the module with go.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";

import { ConnectError, Code } from "@connectrpc/connect";

import { changes, generate, readWorkspace } from "../src/generate";

const moduleRoot = path.resolve(__dirname, "..", "..", "..", "..");
const scratch = mkdtempSync(path.join(tmpdir(), "aiden-vscode-test-"));
const token = "t0ken-for-the-extension-test-0123456789abcdef";
let server: ChildProcess;
let url = "";
let log = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

before(async () => {
  let bin = process.env.AIDEN_BIN ?? "";
  if (!bin) {
    bin = path.join(scratch, "aiden");
    execFileSync("go", ["build", "-o", bin, "./cmd/aiden"], { cwd: moduleRoot, stdio: "inherit" });
  }
  const tokens = path.join(scratch, "tokens.yaml");
  const digest = createHash("sha256").update(token).digest("hex");
  writeFileSync(tokens, `tokens:\n  - subject: vscode-test\n    sha256: ${digest}\n    roles: [generate, validate, read-own]\n`);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--auth-token-file", tokens], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (b) => (log += b));
  server.stderr?.on("data", (b) => (log += b));
  // Ready when it answers; a bounded number of tries, not a timing.
  for (let i = 0; ; i++) {
    try {
      await fetch(url + "/");
      return;
    } catch {
      if (i >= 600 || server.exitCode !== null) {
        throw new Error(`aiden serve did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

after(() => {
  server?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

function repository(): string {
  const root = mkdtempSync(path.join(scratch, "repo-"));
  mkdirSync(path.join(root, ".git"));
  mkdirSync(path.join(root, "clusters", "production", "apps"), { recursive: true });
  writeFileSync(path.join(root, "clusters", "production", "apps", "kustomization.yaml"), "resources: []\n");
  return root;
}

test("GenerateStream streams the stages and returns the chart", async () => {
  const root = repository();
  const targetPath = "clusters/production/apps/redis";
  const workspace = await readWorkspace(root, targetPath);
  assert.deepEqual(workspace.map((f) => f.path), ["clusters/production/apps/kustomization.yaml"]);
  const stages: string[] = [];
  const result = await generate({
    serverUrl: url,
    token,
    intent: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
    format: "helm",
    targetPath,
    workspace,
    onProgress: (p) => stages.push(p.stage),
  });
  for (const s of ["context", "plan", "render", "validate", "done"]) {
    assert.ok(stages.includes(s), `stage ${s} in ${stages}`);
  }
  assert.ok(result.valid, "the generated chart is valid");
  const chart = result.files.find((f) => f.path === `${targetPath}/Chart.yaml`);
  assert.ok(chart, `Chart.yaml among ${result.files.map((f) => f.path)}`);
  assert.match(new TextDecoder().decode(chart.content), /name: redis/);
  assert.match(result.patch, /^diff --git/m);

  const planned = changes(result, workspace);
  const parent = planned.find((c) => c.path === "clusters/production/apps/kustomization.yaml");
  assert.equal(parent?.kind, "modify", "the app is registered in its parent's kustomization");
  assert.match(parent?.after ?? "", /redis/);
  assert.equal(planned.find((c) => c.path === `${targetPath}/Chart.yaml`)?.kind, "create");
  assert.ok(planned.every((c) => c.kind !== "delete"));
});

test("the server's errors arrive as ConnectErrors with the API's codes", async () => {
  const root = repository();
  const workspace = await readWorkspace(root, "clusters/production/apps/x");
  await assert.rejects(
    generate({ serverUrl: url, token: "not-a-token", intent: "Deploy redis", targetPath: "clusters/production/apps/x", workspace }),
    (e: unknown) => e instanceof ConnectError && e.code === Code.Unauthenticated,
  );
  await assert.rejects(
    generate({ serverUrl: url, token, intent: "Deploy redis", targetPath: "../outside", workspace }),
    (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument && /outside|escapes|\.\./.test(e.message),
  );
});

test("readWorkspace refuses a target outside the repository", async () => {
  await assert.rejects(readWorkspace(repository(), "../elsewhere"), /inside the repository/);
});
