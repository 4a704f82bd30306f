/**
 * A minimal Jupyter client: the shell and iopub channels of one kernel, enough to run code.
 *
 * It uses the zeromq package that tslab itself runs on, resolved from tslab so that
 * client and kernel share one native build.
 */
import { randomUUID } from "crypto";
import { createRequire } from "module";
import type * as Zmq from "zeromq";
import type { ConnectionInfo } from "./kernel-process";
import { decodeMessage, encodeMessage, JupyterMessage, newMessage } from "./messages";

const zmq = createRequire(require.resolve("tslab"))("zeromq") as typeof Zmq;

type IopubHandler = (message: JupyterMessage) => void;

interface PendingReply {
  resolve: (reply: JupyterMessage) => void;
  reject: (error: Error) => void;
}

const HANDSHAKE_RETRY_MS = 500;
/** How long outputs may pause after an execute_reply before the idle status is taken as lost, and how often to look. */
const IOPUB_QUIET_MS = 30_000;
const IDLE_CHECK_MS = 500;

export class KernelClient {
  private readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  /** No high-water mark: at zeromq's default (1,000 messages) a burst of outputs beyond it would be dropped. */
  private readonly iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  private readonly pending = new Map<string, PendingReply>();
  /** iopub messages are routed by the msg_id of the request that caused them. */
  private readonly iopubHandlers = new Map<string, IopubHandler>();
  private closed = false;

  constructor(private readonly connection: ConnectionInfo) {
    const address = (port: number) => `${connection.transport}://${connection.ip}:${port}`;
    this.shell.connect(address(connection.shell_port));
    this.iopub.connect(address(connection.iopub_port));
    this.iopub.subscribe();
    void this.pump(this.shell, (message) => this.onShell(message));
    void this.pump(this.iopub, (message) => this.onIopub(message));
  }

  /**
   * Waits until the kernel answers a kernel_info_request on both channels, and returns its
   * content. iopub drops what is published before the subscription is set up, so the request
   * is repeated until its status messages come through.
   */
  async kernelInfo(): Promise<Record<string, unknown>> {
    let reply: JupyterMessage | undefined;
    let iopubReady = false;
    while (!reply || !iopubReady) {
      const request = newMessage("kernel_info_request", this.session, {});
      this.iopubHandlers.set(request.header.msg_id, () => { iopubReady = true; });
      const answer = this.request(request).then((message) => { reply = message; });
      // Unanswered earlier tries are rejected on close(); the race below reports only the latest.
      answer.catch(() => {});
      await Promise.race([answer, delay(HANDSHAKE_RETRY_MS)]);
    }
    return reply.content;
  }

  /**
   * Runs `code`; `onOutput` gets every iopub message it causes, also those that come after
   * the reply. Resolves with the execute_reply once the kernel is idle again.
   */
  async execute(code: string, onOutput: IopubHandler): Promise<JupyterMessage> {
    const request = newMessage("execute_request", this.session, {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    let markIdle = () => {};
    const idle = new Promise<void>((resolve) => { markIdle = resolve; });
    let lastHeard = Date.now();
    this.iopubHandlers.set(request.header.msg_id, (message) => {
      lastHeard = Date.now();
      if (message.header.msg_type === "status") {
        if (message.content.execution_state === "idle") markIdle();
      } else {
        onOutput(message);
      }
    });
    const reply = await this.request(request);
    // The idle status comes after the reply, on iopub. Should it be lost, fail rather than wait for ever.
    let idleArrived = false;
    void idle.then(() => { idleArrived = true; });
    while (!idleArrived) {
      if (Date.now() - lastHeard > IOPUB_QUIET_MS) {
        throw new Error(`the kernel answered but its outputs stopped ${IOPUB_QUIET_MS / 1000} s before its idle status came: some were lost on iopub`);
      }
      await Promise.race([idle, delay(IDLE_CHECK_MS)]);
    }
    return reply;
  }

  close(): void {
    this.closed = true;
    this.shell.close();
    this.iopub.close();
    this.failPending(new Error("the Jupyter client was closed"));
  }

  private request(message: JupyterMessage): Promise<JupyterMessage> {
    return new Promise((resolve, reject) => {
      this.pending.set(message.header.msg_id, { resolve, reject });
      this.shell.send(encodeMessage(this.connection.key, message)).catch(reject);
    });
  }

  private onShell(message: JupyterMessage): void {
    const id = message.parent_header.msg_id ?? "";
    this.pending.get(id)?.resolve(message);
    this.pending.delete(id);
  }

  private onIopub(message: JupyterMessage): void {
    this.iopubHandlers.get(message.parent_header.msg_id ?? "")?.(message);
  }

  private async pump(socket: Zmq.Dealer | Zmq.Subscriber, handle: (message: JupyterMessage) => void) {
    try {
      for await (const frames of socket) handle(decodeMessage(this.connection.key, frames));
    } catch (error) {
      if (!this.closed) this.failPending(error as Error);
    }
  }

  private failPending(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
