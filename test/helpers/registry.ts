// Experiments' parameters as their methods receive them, so that tests can build each network the way its
// experiment does (from its own registry entry) instead of calling one builder twice.
import { PROFILES } from "../../lib/config";
import { type Params, effectiveParams } from "../../lib/experiments/experiment";
import { EXPERIMENTS_BY_ID } from "../../lib/experiments/registry";

/** An experiment's parameters under the smoke profile (small widths) and its first seed. */
export function registryParams(id: string): [Params, number] {
  const experiment = EXPERIMENTS_BY_ID.get(id);
  if (!experiment) throw new Error(`no experiment ${id} in the registry`);
  return [effectiveParams(experiment.params, PROFILES.smoke), experiment.seeds[0]];
}
