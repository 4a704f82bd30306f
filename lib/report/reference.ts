// Figures of the assignment's reference solution (../shared/assignment/README.md, "Numbers to beat"), quoted so
// that generated answers can compare with them. They are the reference's printed results, not ours.
export const REFERENCE_SOLUTION = {
  file: "shared/assignment/reference-solution-keras.txt",
  ex1: { test: 0.2279, train: 0.99296 },
  ex2: { test: 0.2165, train: 0.91121 },
  ex3: { test: 0.1929 },
  ex4: { test: 0.203 },
  ex5: { ex2: 0.22, ex3: 0.1952, ex4: 0.1955 },
  ex6: { test: 0.1022, outliersRemoved: 0.0497 },
};

/** Published test accuracies (%) for 10,000 labels on CIFAR-100 (WRN-28-8, PyTorch), as the assignment README quotes them. */
export const PUBLISHED = {
  supervisedOnLabels: [61],
  fixMatch: [72, 78],
  fullySupervised: [78, 81],
};
