// Exercise 6's experiments (the contrastive technique in place of the autoencoder); spread into the registry.
import type { Experiment } from "./experiment";

export const EX6_EXPERIMENTS: Experiment[] = [];
