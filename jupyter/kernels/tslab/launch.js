// Starts this repository's own tslab, whatever folder Jupyter starts the kernel in:
// a global or another project's tslab would compile the notebooks with other versions.
const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const tslabMain = path.join(repoRoot, "node_modules", "tslab", "dist", "main.js");
if (!fs.existsSync(tslabMain)) {
  console.error(`tslab kernel: ${tslabMain} is missing. Run \`npm ci\` in ${repoRoot}, then restart the kernel.`);
  process.exit(1);
}
// tslab sends on its sockets without waiting for the previous send, but zeromq 6 allows one send in progress per
// socket and throws "Socket is busy writing" (EBUSY) at the next: under a burst (a loop of console.log, a busy
// machine, replies to a client's repeated kernel_info requests) messages are lost, a cell's final "idle" status among
// them, and a client waiting for it waits for ever. Here each send waits for the one before it, in order; and the
// output channel has no high-water mark (zeromq's default, 1,000 messages per subscriber, drops the newest once a
// client falls behind: 2,512 of 3,000 lines arrived).
const zmq = require(require.resolve("zeromq", { paths: [path.dirname(tslabMain)] }));
const previousSends = new WeakMap();  // (zeromq's sockets take no new properties)
const inOrder = (Socket, fixedOptions) => class extends Socket {
  constructor(options) {
    super({ ...options, ...fixedOptions });
  }

  send(message) {
    const sent = (previousSends.get(this) ?? Promise.resolve()).then(() => super.send(message));
    previousSends.set(this, sent.catch(() => {}));
    return sent;
  }
};
zmq.Publisher = inOrder(zmq.Publisher, { sendHighWaterMark: 0 });  // iopub: every output
zmq.Router = inOrder(zmq.Router, {});  // shell, control, stdin: the replies
require(tslabMain).main();
