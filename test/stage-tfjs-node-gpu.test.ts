// The tfjs-node-gpu transfer to the GPU host (issue 13) on a tiny archive: scripts/stage-tfjs-node-gpu.sh splits it
// into .gpu/tfgpu-NN/ parts, scripts/remote-tfjs-node-gpu.sh (run here with its folders moved) names the parts
// still missing, joins and unpacks them once all are there and runs a command with NODE_PATH and LD_LIBRARY_PATH
// pointing into the unpacked package; and scripts/prune-fatbins.py on a made-up fat binary.
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..");

describe("tfjs-node-gpu staging (scripts/stage-tfjs-node-gpu.sh, scripts/remote-tfjs-node-gpu.sh)", () => {
  let root: string;
  let archive: string;
  const lib = "node_modules/@tensorflow/tfjs-node-gpu/deps/lib";
  beforeEach(function () {
    if (spawnSync("xz", ["--version"]).status !== 0) this.skip(); // xz-utils: the archive's format
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tfgpu-stage-"));
    // A stand-in for the real archive: the package folder with a "library" that does not compress (random bytes).
    const tree = path.join(root, "src", "tfgpu");
    fs.mkdirSync(path.join(tree, lib), { recursive: true });
    fs.writeFileSync(path.join(tree, lib, "libfake.so.1"), crypto.randomBytes(30000));
    fs.writeFileSync(path.join(tree, "MANIFEST.json"), JSON.stringify({ arch: "sm_90", full: false, stand_ins: ["libcufft.so.11"] }));
    archive = path.join(root, "tfgpu.tar.xz");
    execFileSync("bash", ["-c", `tar -C "${path.join(root, "src")}" -cf - tfgpu | xz -0 -c > "${archive}"`]);
  });
  afterEach(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const stage = (partBytes: number) =>
    execFileSync("bash", [path.join(REPO, "scripts/stage-tfjs-node-gpu.sh"), "--from-archive", archive, "--out", path.join(root, ".gpu"), "--part-bytes", String(partBytes)], {
      cwd: REPO,
      encoding: "utf8",
    });
  /** One device call: .gpu/remote.sh's copy of the carried parts into the stage folder, then the host script. */
  const call = (parts: string[], ...command: string[]) => {
    for (const part of parts) fs.cpSync(path.join(root, ".gpu", part), path.join(root, "host", "stage", part), { recursive: true });
    return spawnSync("bash", [path.join(REPO, "scripts/remote-tfjs-node-gpu.sh"), ...command], {
      encoding: "utf8",
      env: { ...process.env, TFGPU_STAGE: path.join(root, "host", "stage"), TFGPU_ROOT: path.join(root, "host"), NODE_PATH: "", LD_LIBRARY_PATH: "" },
    });
  };

  it("splits the archive into numbered parts, each with the same SHA256SUMS", () => {
    const printed = stage(8000);
    const parts = fs.readdirSync(path.join(root, ".gpu")).sort();
    const size = fs.statSync(archive).size;
    assert.equal(parts.length, Math.ceil(size / 8000), printed);
    assert.equal(parts[0], "tfgpu-01");
    const sums = fs.readFileSync(path.join(root, ".gpu", "tfgpu-01", "SHA256SUMS"), "utf8");
    assert.match(sums, new RegExp(`^# tfgpu given parts ${parts.length} archive tfgpu\\.tar\\.xz bytes ${size}\\n`));
    for (const part of parts) {
      assert.equal(fs.readFileSync(path.join(root, ".gpu", part, "SHA256SUMS"), "utf8"), sums);
      assert.ok(fs.statSync(path.join(root, ".gpu", part, `tfgpu.tar.xz.part-${part.slice(-2)}`)).size <= 8000);
    }
  });

  it("names the missing parts, then joins, checks and unpacks them and runs the command with the paths set", () => {
    stage(8000);
    const parts = fs.readdirSync(path.join(root, ".gpu")).sort();
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    // A staging call: one part, no command. It reports and succeeds.
    let run = call([parts[0]]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`NOT YET: 1 of ${parts.length} parts here, still missing: ${parts.slice(1).join(" ")}`));
    // With a command but parts still missing: the command does not run.
    run = call(parts.slice(1, -1), "touch", path.join(root, "ran"));
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, new RegExp(`still missing: ${parts[parts.length - 1]}$`, "m"));
    assert.ok(!fs.existsSync(path.join(root, "ran")));
    // The last part arrives with the command: unpacked, parts removed, command run with NODE_PATH and LD_LIBRARY_PATH.
    run = call(parts.slice(-1), "bash", "-c", 'echo "$NODE_PATH|$LD_LIBRARY_PATH"; cmp "$LD_LIBRARY_PATH/libfake.so.1" "$0"', path.join(root, "src", "tfgpu", lib, "libfake.so.1"));
    assert.equal(run.status, 0, run.stderr);
    const dest = path.join(root, "host", "tfgpu");
    assert.equal(run.stdout.trim(), `${dest}/node_modules|${dest}/${lib}`);
    assert.match(run.stderr, /ready: .*sm_90 stand-ins: libcufft\.so\.11/);
    assert.deepEqual(fs.readdirSync(path.join(root, "host", "stage")), [], "the parts are removed once unpacked");
    // A later call (the host still up) finds it unpacked and carries nothing.
    run = call([], "true");
    assert.equal(run.status, 0, run.stderr);
  });

  it("refuses a damaged part and parts of another staging", () => {
    stage(8000);
    const parts = fs.readdirSync(path.join(root, ".gpu")).sort();
    const first = path.join(root, ".gpu", parts[0], "tfgpu.tar.xz.part-01");
    const bytes = fs.readFileSync(first);
    bytes[100] ^= 0xff;
    fs.writeFileSync(first, bytes);
    let run = call(parts, "true");
    assert.equal(run.status, 4, run.stderr);
    assert.match(run.stderr, /a part is damaged/);
    fs.rmSync(path.join(root, "host"), { recursive: true });
    fs.writeFileSync(path.join(root, ".gpu", parts[1], "SHA256SUMS"), "# tfgpu sm90-min parts 9 archive other.tar.xz bytes 1\n");
    run = call(parts, "true");
    assert.equal(run.status, 4, run.stderr);
    assert.match(run.stderr, new RegExp(`part ${parts[1]} belongs to another staging`));
  });
});

describe("scripts/prune-fatbins.py", () => {
  /** A fat binary container: 16-byte header, then entries of a 64-byte header (kind, arch) and a payload. */
  function container(entries: { kind: number; arch: number; fill: number; size: number }[]): Buffer {
    const bodies = entries.map((e) => {
      const header = Buffer.alloc(64);
      header.writeUInt16LE(e.kind, 0);
      header.writeUInt16LE(0x101, 2);
      header.writeUInt32LE(64, 4);
      header.writeBigUInt64LE(BigInt(e.size), 8);
      header.writeUInt32LE(e.arch, 28);
      return Buffer.concat([header, Buffer.alloc(e.size, e.fill)]);
    });
    const body = Buffer.concat(bodies);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(0xba55ed50, 0);
    head.writeUInt16LE(1, 4);
    head.writeUInt16LE(16, 6);
    head.writeBigUInt64LE(BigInt(body.length), 8);
    return Buffer.concat([head, body]);
  }

  it("keeps the target's SASS (or else its PTX), zeroes the rest in place and leaves other containers alone", function () {
    if (spawnSync("python3", ["--version"]).status !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prune-fatbins-"));
    try {
      const a = container([
        { kind: 2, arch: 80, fill: 0x11, size: 40 },
        { kind: 2, arch: 90, fill: 0x22, size: 24 },
        { kind: 1, arch: 90, fill: 0x33, size: 32 },
      ]);
      const b = container([{ kind: 2, arch: 86, fill: 0x44, size: 16 }, { kind: 1, arch: 80, fill: 0x55, size: 8 }]);
      const c = container([{ kind: 2, arch: 75, fill: 0x66, size: 8 }]); // nothing for sm_90: left as it is
      const file = Buffer.concat([Buffer.from("ELF-ish prefix."), a, Buffer.alloc(5, 0xee), b, c, Buffer.from("tail")]);
      fs.writeFileSync(path.join(dir, "in.so"), file);
      const printed = execFileSync("python3", [path.join(REPO, "scripts/prune-fatbins.py"), "--arch", "90", path.join(dir, "in.so"), path.join(dir, "out.so")], { encoding: "utf8" });
      const stats = JSON.parse(printed);
      assert.deepEqual([stats.containers, stats.pruned, stats.untouched, stats.ptx_only], [3, 2, 1, 1]);
      const out = fs.readFileSync(path.join(dir, "out.so"));
      assert.equal(out.length, file.length, "nothing moves");
      const at = 15;
      // Container a: size now one entry (64 + 24), the sm_90 SASS first, then zeros up to its old end.
      assert.equal(out.readBigUInt64LE(at + 8), 88n);
      assert.equal(out.readUInt32LE(at + 16 + 28), 90);
      assert.equal(out.readUInt16LE(at + 16), 2);
      assert.ok(out.subarray(at + 16 + 64, at + 16 + 88).every((x) => x === 0x22));
      assert.ok(out.subarray(at + 16 + 88, at + a.length).every((x) => x === 0));
      // Container b: only its PTX (sm_80 <= 90) is kept.
      const bAt = at + a.length + 5;
      assert.equal(out.readBigUInt64LE(bAt + 8), 72n);
      assert.equal(out.readUInt16LE(bAt + 16), 1);
      // Container c and the bytes around the containers are unchanged.
      const cAt = bAt + b.length;
      assert.ok(out.subarray(cAt).equals(file.subarray(cAt)));
      assert.ok(out.subarray(0, at).equals(file.subarray(0, at)));
      assert.ok(out.subarray(at + a.length, bAt).equals(file.subarray(at + a.length, bAt)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
