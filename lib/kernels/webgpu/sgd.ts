// The project optimizer's SGD-Nesterov step (lib/training/optimizer.ts) in one dispatch per variable.
//
// Written with tf ops, a step is about 8 kernels per variable, and each JS number (momentum, decay) becomes a
// scalar uploaded through its own staging buffer: for the classifier's 42 variables that is ~340 launches and
// ~100 uploads per step. Here one program reads (value, gradient, velocity, step scalars) and writes (value',
// velocity') with the same arithmetic; momentum and decay are uniforms (fixed for a run), the learning rate is read
// from the step-scalars tensor (it changes every step, and a captured step replays this dispatch with new scalars).
// New tensors replace the old ones through Variable.assign, as the tf-op version does, so nothing is written in place.
import * as tf from "@tensorflow/tfjs-core";
import { SgdNesterov } from "../../training/optimizer";
import { MultiOutputProgram, MultiOutputShader, WebGPUBackendInternals, runMultiOutput } from "./multi-output";
import type { KernelOverride } from "./override";

class FusedSgdNesterovProgram extends MultiOutputProgram {}

const SGD_SHADER: MultiOutputShader = {
  key: "projectFusedSgdNesterov",
  inputs: ["value", "gradient", "velocity", "scalars"],
  outputs: ["newValue", "newVelocity"],
  uniforms: [
    { name: "size", type: "i32" },
    { name: "momentum", type: "f32" },
    { name: "decay", type: "f32" },
  ],
  workgroupSize: 256,
  body: `
fn run(i : i32) {
  if (i >= uniforms.size) {
    return;
  }
  let w = value[i];
  let g = gradient[i] + w * uniforms.decay;
  let v = velocity[i] * uniforms.momentum + g;
  newVelocity[i] = v;
  newValue[i] = w - (g + v * uniforms.momentum) * scalars[0];
}`,
};

type Update = SgdNesterov["update"];

/** Patches SgdNesterov.prototype.update: one dispatch on the webgpu backend, tf ops anywhere else. */
export function fusedSgdOverride(): KernelOverride {
  let stock: Update | null = null;
  return {
    name: "SGD-Nesterov (fused update)",
    enable() {
      if (stock) return;
      const original = (stock = SgdNesterov.prototype.update);
      SgdNesterov.prototype.update = function (this: SgdNesterov, variable, grad, velocity, scalars, decay) {
        if (tf.getBackend() !== "webgpu" || variable.dtype !== "float32") return original.call(this, variable, grad, velocity, scalars, decay);
        const backend = tf.backend() as unknown as WebGPUBackendInternals;
        const uniforms = [variable.size, this.config.momentum, decay];
        const outputs = runMultiOutput(backend, FusedSgdNesterovProgram, SGD_SHADER, [variable, grad, velocity, scalars],
          [variable.shape, variable.shape], variable.size, uniforms);
        const [newValue, newVelocity] = outputs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
        velocity.assign(newVelocity);
        variable.assign(newValue);
        tf.dispose([newValue, newVelocity]);
      };
    },
    disable() {
      if (!stock) return;
      SgdNesterov.prototype.update = stock;
      stock = null;
    },
  };
}
