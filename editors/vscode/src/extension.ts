// The aiden extension: `aiden lsp` as the language server (diagnostics,
// quick fixes, hover), and "Aiden: Generate from intent…", which streams a
// generation from an aiden server, shows the changes as a refactoring
// preview (a diff per file) and applies them when accepted.
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

import { changes, cleanPath, generate, readWorkspace } from "./generate";
import { Severity } from "./gen/aiden/v1/aiden_pb";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("aiden");
  const serverOptions: ServerOptions = { command: config.get<string>("path", "aiden"), args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "terraform" },
      { scheme: "file", pattern: "**/*.tf" },
    ],
  };
  client = new LanguageClient("aiden", "aiden", serverOptions, clientOptions);
  context.subscriptions.push(vscode.commands.registerCommand("aiden.generateFromIntent", generateFromIntent));
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

async function generateFromIntent(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== "file") {
    void vscode.window.showErrorMessage("aiden: open the GitOps repository as a folder first.");
    return;
  }
  const root = folder.uri.fsPath;
  const intent = await vscode.window.showInputBox({
    title: "Aiden: Generate from intent",
    prompt: "What should run, and where?",
    placeHolder: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
    ignoreFocusOut: true,
  });
  if (!intent) {
    return;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const suggested = active?.scheme === "file" ? path.relative(root, path.dirname(active.fsPath)).split(path.sep).join("/") : "";
  const target = await vscode.window.showInputBox({
    title: "Aiden: target folder",
    prompt: "The folder, relative to the repository root, that the files land in",
    value: suggested.startsWith("..") ? "" : suggested,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        cleanPath(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (!target) {
    return;
  }
  const config = vscode.workspace.getConfiguration("aiden");
  const targetPath = cleanPath(target);
  const workspace = await readWorkspace(root, targetPath);
  let result;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "aiden", cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        progress.report({ message: "sending the request…" });
        return generate({
          serverUrl: config.get<string>("serverUrl", "http://localhost:8080"),
          token: config.get<string>("token", ""),
          intent,
          format: config.get<"helm" | "kustomize" | "terraform">("format", "helm"),
          targetPath,
          workspace,
          signal: abort.signal,
          onProgress: (p) => progress.report({ message: `${p.stage}: ${p.message}`, increment: 20 }),
        });
      },
    );
  } catch (e) {
    void vscode.window.showErrorMessage(`aiden: ${(e as Error).message}`);
    return;
  }
  const planned = changes(result, workspace);
  if (planned.length === 0) {
    void vscode.window.showInformationMessage("aiden: nothing to change.");
    return;
  }
  // A refactoring whose every entry needs confirmation: VS Code shows the
  // diff of each file and applies only what is accepted.
  const edit = new vscode.WorkspaceEdit();
  const label = `aiden: ${intent}`;
  for (const c of planned) {
    const uri = vscode.Uri.file(path.join(root, ...c.path.split("/")));
    const meta = { label, description: c.kind, needsConfirmation: true };
    if (c.kind === "create") {
      edit.createFile(uri, { overwrite: false, ignoreIfExists: false }, meta);
      edit.insert(uri, new vscode.Position(0, 0), c.after, meta);
    } else if (c.kind === "modify") {
      const doc = await vscode.workspace.openTextDocument(uri);
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), c.after, meta);
    } else {
      edit.deleteFile(uri, { ignoreIfNotExists: true }, meta);
    }
  }
  const errors = result.findings.filter((f) => !f.fixed && f.severity === Severity.ERROR).length;
  const applied = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  void vscode.window.showInformationMessage(
    `aiden: ${result.provenance?.summary ?? "generated"} — ${planned.length} files ${applied ? "applied" : "not applied"}, ${errors} errors left.`,
  );
}
