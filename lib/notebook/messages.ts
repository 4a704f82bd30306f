/**
 * The Jupyter messaging wire format: signed multipart frames.
 *
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
 */
import { createHmac, randomUUID } from "crypto";

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface JupyterMessage {
  header: MessageHeader;
  /** The header of the request this message answers; `{}` for requests. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

const DELIMITER = "<IDS|MSG>";
const PROTOCOL_VERSION = "5.3";

/** A new request of `msgType` in `session`. */
export function newMessage(
  msgType: string,
  session: string,
  content: Record<string, unknown>,
): JupyterMessage {
  return {
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session,
      username: "execute-notebooks",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
  };
}

function sign(key: string, parts: string[]): string {
  const hmac = createHmac("sha256", key);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

/** The frames to send for `message` (a DEALER socket adds its own identity). */
export function encodeMessage(key: string, message: JupyterMessage): string[] {
  const parts = [
    JSON.stringify(message.header),
    JSON.stringify(message.parent_header),
    JSON.stringify(message.metadata),
    JSON.stringify(message.content),
  ];
  return [DELIMITER, sign(key, parts), ...parts];
}

/** Parses received frames, rejecting messages whose signature does not match `key`. */
export function decodeMessage(key: string, frames: Buffer[]): JupyterMessage {
  const delimiter = frames.findIndex((frame) => frame.toString() === DELIMITER);
  if (delimiter < 0) {
    throw new Error("Jupyter message without the <IDS|MSG> delimiter: is the peer a Jupyter kernel?");
  }
  const signature = frames[delimiter + 1].toString();
  const parts = frames.slice(delimiter + 2, delimiter + 6).map((frame) => frame.toString());
  if (parts.length < 4) {
    throw new Error(`Jupyter message with ${parts.length} of its 4 JSON parts.`);
  }
  if (key !== "" && signature !== sign(key, parts)) {
    throw new Error("Jupyter message with a wrong HMAC signature: the kernel uses another key.");
  }
  const [header, parent_header, metadata, content] = parts.map((part) => JSON.parse(part));
  return { header, parent_header, metadata, content };
}
