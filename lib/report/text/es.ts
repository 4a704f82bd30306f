// Las frases del informe en español (el idioma por defecto). Cada función recibe hechos calculados por los módulos
// del informe y solo los redacta; en.ts tiene las mismas claves (este objeto tiene su tipo).
import type { Ex1Facts } from "../ex1";
import { claim, type Spread, type Versus } from "../verdicts";
import type { Phrases } from "./index";
import { numberFormat } from "./numbers";

// Separador de miles: espacio no separable; el signo % va separado por un espacio (Ortografía de la RAE, 2010).
const n = numberFormat({ thousands: "\u00a0", percentSign: "\u00a0%", pointsUnit: "p.p." });
const { acc, pct, pp, int } = n;
/** La regla de ruido del estudio, tal como la enuncian los informes. */
const rule = "Una diferencia cuenta como mejor o peor solo si supera dos errores estándar de la diferencia sobre las semillas; con una sola semilla en un lado no se afirma nada.";

/** Una cifra o un intervalo publicado, en %. */
const about = (range: number[]) => `alrededor del ${range.join("-")}\u00a0%`;
const seedsWord = (k: number) => `${k} semilla${k === 1 ? "" : "s"}`;
const spread = (s: Spread) => `${acc(s.mean)}${s.sd === null ? "" : ` ± ${acc(s.sd)}`} (${seedsWord(s.n)})`;

/** mejor / peor / dentro del ruido / sin afirmación, con los números en que se basa. */
function verdict(v: Versus): string {
  const kind = claim(v);
  if (kind === "none") return `${pp(v.difference)}, sin afirmación posible: una sola ejecución ${v.a.n === 1 && v.b.n === 1 ? "por lado" : "en un lado"}`;
  const se = `dos errores estándar sobre las semillas: ${pp(2 * v.standardError!).replace("+", "±")}`;
  if (kind === "within-noise") return `dentro del ruido (${pp(v.difference)}, menos de ${se}; ${spread(v.a)} frente a ${spread(v.b)})`;
  return `${kind === "better" ? "mejor" : "peor"} (${pp(v.difference)}, más de ${se})`;
}

export const es: Phrases = {
  number: n,
  titles: {
    "ex1-supervised": "Ejercicio 1: el clasificador sobre las 10\u00a0080 imágenes etiquetadas",
    "ex2-selftrain-confidence-t0.8": "Autoaprendizaje, pesos = certeza, umbral 0.8",
    "ex2-selftrain-confidence-t0.5": "Autoaprendizaje, pesos = certeza, umbral 0.5",
    "ex2-selftrain-softmatch": "Autoaprendizaje, pesos gaussianos truncados de SoftMatch, sin umbral",
    "ex2-selftrain-unweighted-t0.5": "Autoaprendizaje sin pesos de certeza (todos 1), umbral 0.5",
    "ex2-fixmatch-confidence": "En línea (estilo FixMatch), pesos = certeza por encima de 0.95",
    "ex3-autoencoder-frozen": "Autoencoder y después el clasificador con el codificador congelado",
    "ex3-autoencoder-finetuned": "Autoencoder y después el clasificador con el codificador ajustado",
    "ex4-joint": "Autoencoder y clasificador entrenados a la vez",
    "ex4-supervised-40ep": "Solo supervisado, con el presupuesto del Ejercicio 4 (40 épocas, lote etiquetado de 128)",
    "ex5-oneclass": "Red one-class (nu = 0.9): qué imágenes sin etiquetar son atípicas",
    "ex5-selftrain-confidence-t0.5": "Autoaprendizaje (pesos = certeza, umbral 0.5) sin las atípicas",
    "ex5-autoencoder-finetuned": "Autoencoder en dos pasos (ajustado) sin las atípicas",
    "ex5-joint": "Autoencoder en un paso sin las atípicas",
    "ex6-contrastive-frozen": "Preentrenamiento contrastivo y después el clasificador con el codificador congelado",
    "ex6-contrastive-finetuned": "Preentrenamiento contrastivo y después el clasificador con el codificador ajustado",
    "ex6-contrastive-joint": "Pérdida contrastiva y clasificador entrenados a la vez",
    "ex6-outliers-contrastive-finetuned": "Sin las atípicas: preentrenamiento contrastivo y después el clasificador con el codificador ajustado",
    "ex6-outliers-contrastive-joint": "Sin las atípicas: pérdida contrastiva y clasificador entrenados a la vez",
  } as Record<string, string>,
  noise: {
    spread,
    verdict,
    word: (v: Versus) => ({ better: "mejor", worse: "peor", "within-noise": "dentro del ruido", none: "sin afirmación con una ejecución" })[claim(v)],
  },
  provenance: {
    heading: "Dónde se entrenó cada resultado",
    intro: "Dónde se entrenó cada resultado que muestra este cuaderno, una fila por semilla, tal como lo registra su fichero de resultados:",
    header: ["experimento", "semilla", "dispositivo", "backend", "commit", "fecha (UTC)", "tiempo de reloj"],
    shared: (n) => `dispositivo compartido por hasta ${n} ejecuciones`,
    noCardName: "el dispositivo tal como se registró: solo la descripción del controlador, sin el nombre de la tarjeta",
    total: (runs, experiments, time) =>
      `${runs} ${runs === 1 ? "ejecución" : "ejecuciones"} de ${experiments} ${experiments === 1 ? "experimento" : "experimentos"}, ${time} de tiempo de reloj en total.`,
    none: "Este cuaderno no muestra resultados entrenados.",
  },
  session: {
    notebook: (profile, description, backend) =>
      `perfil: ${profile} (${description})\nrenderizado: este cuaderno se ejecuta con el backend ${backend}; dónde se entrenó cada resultado está en la tabla de procedencia del final`,
    profiles: {
      full: "la escala del enunciado: las 50 000 imágenes de entrenamiento y las 10 000 de test (pensado para una GPU)",
      smoke: "el mismo código sobre unos cientos de imágenes y como mucho dos épocas (para la CI en una CPU)",
      validation: "la escala completa con 1 000 imágenes etiquetadas apartadas: las elecciones entre variantes se hacen con ellas, nunca con el test",
    },
  },
  common: {
    awaiting: (id) => `- **${id}** queda fuera: ninguna ejecución de su receta actual ha terminado (README, "Status of the exercises").`,
    time: (time: string, sharedBy: number | undefined) => (sharedBy ? `${time} (GPU compartida por hasta ${sharedBy} ejecuciones)` : time),
    layerColumns: ["capa", "tipo", "forma de la salida", "parámetros", "configuración"],
    total: "total",
    provenance: (p: { profile: string; backend: string; device: string; time: string; commit: string; date: string; seeds: number[] }) =>
      `perfil \`${p.profile}\`, ${p.seeds.length === 1 ? `semilla ${p.seeds[0]}` : `semillas ${p.seeds.join(", ")}`}, backend ${p.backend} en ${p.device}, ${p.time}${p.seeds.length > 1 ? " por semilla (media)" : ""}, commit \`${p.commit}\`, ${p.date}`,
    resultsColumns: ["experimento", "método", "precisión en entrenamiento", "precisión en test (media ± desv., semillas)", "tiempo", "dispositivo"],
  },
  charts: {
    valueOfPanel: "valor (ver el título del panel)",
    share: "proporción",
    accuracy: "precisión",
    test: "test",
    trainBatches: "entrenamiento (lotes aumentados)",
    epoch: "época",
    epochOverRounds: "época (consecutivas a lo largo de las rondas)",
    round: (experiment: string, round: number) => `${experiment} ronda ${round}`,
  },
  curveTitles: {
    ex1: "Ejercicio 1: precisión por época",
    ex3Step2: "Paso 2: precisión por época",
    ex4: "Ejercicio 4 (y Ejercicio 1): precisión por época",
    ex6TwoStep: "Paso 2: precisión por época",
    ex6Joint: "Un paso (y Ejercicio 1): precisión por época",
  },
  ex1: {
    network: (f) => {
      const p = f.params;
      return (
        `Una red de tipo ResNet-9 (anchuras ${f.widths}${f.widthScale === 1 ? ", la mitad de las de ResNet-9" : `, escaladas por ${f.widthScale} para el perfil ${f.profile}`}): ` +
        `${f.convolutions} convoluciones 3x3 con relleno *same*, cada una seguida de BatchNorm y ReLU; ${f.pools} capas de max-pooling ` +
        `(${f.sizes.join(" → ")} píxeles); ${f.residualBlocks} bloques residuales; global average pooling y una única capa Dense que da ` +
        `los ${f.classes} logits: totalmente convolucional salvo la última capa, ${int(f.parameters)} parámetros. ` +
        `Se entrenó ${p.epochs} épocas sobre las ${int(f.labeled)} imágenes etiquetadas en lotes de ${p.batchSize}, ` +
        `con SGD con momento de Nesterov ${p.momentum} y decaimiento de pesos L2 ${p.weightDecay} en los núcleos, ` +
        `tasa de aprendizaje con calentamiento lineal hasta ${p.peakLearningRate} durante el primer ${pct(p.warmup as number, 0)} de los pasos ` +
        `y después decaimiento lineal hasta 0, entropía cruzada con suavizado de etiquetas ${p.labelSmoothing} y aumento de datos al vuelo ` +
        `(recorte aleatorio tras un relleno reflejado de 4 píxeles, volteo horizontal); ${f.provenance}.`
      );
    },
    accuracy: (f) =>
      `**Precisión en entrenamiento ${acc(f.train)}** (las ${int(f.labeled)} imágenes etiquetadas, sin aumento de datos${f.test.n > 1 ? "; media sobre las semillas" : ""}) y ` +
      `**precisión en test ${spread(f.test)}** (${int(f.testImages)} imágenes de test).`,
    conclusions: (f: Ex1Facts) =>
      [
        `- La red se ajusta a sus imágenes de entrenamiento ${f.fitsTraining ? "casi a la perfección" : `hasta un ${pct(f.train)}`} y alcanza un ${pct(f.test)} en imágenes que no ha visto: ` +
          `una brecha de generalización de ${pp(f.train - f.test).replace("+", "")} ` +
          (f.fitsTraining
            ? `Con unas ${f.labelsPerClass} etiquetas por clase, lo que la limita son las etiquetas, no la capacidad de la red: ese es el margen que el aprendizaje semisupervisado puede cubrir con las imágenes sin etiquetar.`
            : `La red ni siquiera se ajusta a sus propias imágenes etiquetadas: la limitan también la duración del entrenamiento o su capacidad, además de las ${f.labelsPerClass} etiquetas por clase.`),
        `- La precisión en test (curva de la semilla ${f.seed}) ${f.lateGain > 0.005 ? `seguía subiendo al final (${pp(f.lateGain)} en las últimas ${f.tailLength} evaluaciones)` : "se había estabilizado al final"}; ` +
          (f.lastIsBest
            ? `su mejor valor, ${acc(f.bestTest)}, quedó a menos de medio punto de la última época: con la tasa de aprendizaje decreciendo linealmente hasta 0 las últimas épocas son las mejores, así que no hizo falta parada temprana (que habría necesitado una partición de validación sacada de las pocas etiquetas).`
            : `su mejor valor, ${acc(f.bestTest)} en la época ${f.bestEpoch} de ${f.epochs}, supera al de la última: parar antes habría ayudado, pero decidir cuándo exige una partición de validación sacada de las pocas etiquetas, así que se informa de la última época.`),
        `- La solución de referencia del enunciado obtuvo ${acc(f.reference.b.mean)} en test con un ${pct(f.referenceTrain)} en entrenamiento (sin aumento de datos, sin normalización, 100 épocas). ` +
          `Este modelo base frente a ella: ${verdict(f.reference)}` +
          (f.reference.verdict === "better"
            ? `, con las mismas etiquetas: la ganancia viene de BatchNorm, las conexiones residuales, el aumento de datos, el suavizado de etiquetas y el calendario de la tasa de aprendizaje, no de más datos.`
            : f.profile === "full" ? "." : ` (el perfil ${f.profile} entrena una red estrecha pocas épocas con unos cientos de imágenes; solo el perfil completo responde a la pregunta).`),
        `- Como escala: los resultados publicados con la misma cantidad de etiquetas (10${"\u00a0"}000 en CIFAR-100) y una WRN-28-8 mucho mayor llegan a ${about(f.published.supervisedOnLabels)} en test entrenando solo con las etiquetas, y a ${about(f.published.fullySupervised)} con las 50${"\u00a0"}000 etiquetas.`,
        `- El entrenamiento duró ${f.time}${f.reference.a.n > 1 ? " por semilla" : ""} en ${f.device} (${f.backend}).`,
      ].join("\n"),
  },
  data: {
    splitColumns: (total, profile) => ["parte", "imágenes (partición completa)", `fracción de las ${total}`, `usadas por el perfil \`${profile}\``],
    labeledRow: "etiquetadas (entrenamiento)",
    unlabeledRow: "sin etiquetar (entrenamiento, etiquetas ocultas)",
    testRow: "test",
    digest: (first, sha) => `Primeros índices etiquetados: ${first}. SHA-256 de los índices etiquetados (ascendentes, int32 little-endian): \`${sha}\`.`,
    balanceTitle: (images, profile) => `Imágenes etiquetadas por clase (${images} imágenes, perfil ${profile})`,
    fineClass: "clase fina",
    labeledImages: "imágenes etiquetadas",
    balance: (mean, sd, fewest, most) => `Por clase: media ${mean.toFixed(1)}, desviación típica ${sd.toFixed(1)}; las que menos, ${fewest}; las que más, ${most}.`,
    samplesCaption: (classes) => `Una imagen etiquetada de cada una de ${classes} clases`,
  },
  summary: {
    experimentAxis: "experimento",
    testAxis: "precisión en test",
    trainAxis: "precisión en entrenamiento (imágenes etiquetadas)",
    exercise: (k) => `Ejercicio ${k}`,
    trainLabeled: "entrenamiento (imágenes etiquetadas)",
    chartTitle: "Todos los clasificadores del estudio: precisión (huecos: cada semilla; rellenos: media ± desv.)",
    columns: ["ejercicio", "experimento", "método", "precisión en entrenamiento", "precisión en test (media ± desv., semillas)", "tiempo", "dispositivo", "perfil"],
  },
  ex2: {
    roundsColumns: ["variante", "ronda", "pseudoetiquetas añadidas", "precisión de las etiquetas añadidas", "acierto del profesor sobre todas las no etiquetadas", "peso medio", "precisión en test"],
    teacherRow: (id) => `${id} (profesor de la ronda 1)`,
    seedOf: (id, seed) => `${id} (semilla ${seed})`,
    metricTest: "precisión en test",
    metricPrecision: "precisión de las pseudoetiquetas añadidas",
    metricAdded: "fracción de las imágenes sin etiquetar añadidas",
    metricMaskRate: "fracción de imágenes sin etiquetar por encima del umbral",
    metricPseudoPrecision: "precisión de esas pseudoetiquetas (etiquetas ocultas)",
    roundsTitle: "Autoaprendizaje por rondas (puntos: cada semilla; líneas: medias sobre las semillas)",
    round: "ronda",
    variant: "variante",
    weight: "peso",
    images: "imágenes",
    weightsTitle: "Pesos de las imágenes pseudoetiquetadas (ponderación por certeza)",
    onlineTitle: (id) => `${id}: por época`,
    interruptedTitle: (id, planned) => `${id}, receta corregida: por época hasta su interrupción (de ${planned} previstas)`,
    seed: "semilla",
    interruptedPanels: ["fracción de imágenes sin etiquetar ≥ umbral", "fracción correcta de esas pseudoetiquetas", "precisión en test"],
    interrupted: (f) => {
      const span = ([a, b]: [number, number], show: (x: number) => string) => (show(a) === show(b) ? show(a) : `${show(a)}-${show(b)}`);
      const cause = f.cause === "host-lost" ? "se perdió la máquina de GPU con sus puntos de control" : f.cause;
      const one = f.seeds.length === 1;
      const stopped = f.stoppedAt[0] === f.stoppedAt[1] ? `en la época ${f.stoppedAt[0]}` : `en las épocas ${span(f.stoppedAt, String)}`;
      return `**${f.experiment}** con la receta corregida: ${one ? "su semilla" : `sus ${f.seeds.length} semillas`} (${f.seeds.join(", ")}) se ` +
        `interrumpi${one ? "ó" : "eron"} ${stopped} de ${f.epochsPlanned} (${cause}; perfil \`${f.profile}\`, ${f.backend} en ${f.device}, ${f.dates[0] === f.dates[1] ? f.dates[0] : `del ${f.dates[0]} al ${f.dates[1]}`}). ` +
        (f.stoppedAt[0] === f.stoppedAt[1] ? "" : `Las cifras son de la época ${f.epochsRun}, la última a la que llegaron todas. `) +
        `Lo medido hasta ahí, con las etiquetas ocultas: en la época ${f.epochsRun}, el ${span(f.maskRate, (x) => pct(x))} de las imágenes sin ` +
        `etiquetar superaba el umbral ${f.threshold}` +
        (f.precision ? ` y el ${span(f.precision, (x) => pct(x, 0))} de esas pseudoetiquetas era correcto` : "") +
        (f.precisionOnceMasked ? ` (${span(f.precisionOnceMasked, (x) => pct(x, 0))} en todas las épocas en que al menos el ${pct(f.maskedAtLeast)} lo superaba, desde la época ${f.firstEpochMasked}; el gráfico muestra esas épocas)` : "") +
        `; precisión en test ${span(f.testAccuracy, acc)}, con una tasa de aprendizaje de ${f.learningRate} (máximo ${f.peakLearningRate}). ` +
        "Su precisión final no se midió, así que no entra en las comparaciones de más abajo.";
    },
    teacherPanel: "Ejercicio 1 (profesor de la ronda 0)",
    onlinePanel: "en línea (estilo FixMatch)",
    curvesTitle: "Ejercicio 2: precisión por época de cada entrenamiento",
    roundParams: (p) =>
      `${p.rounds} rondas; ${(p.threshold as number) > 0 ? `se conservan las pseudoetiquetas cuya certeza según el profesor es ≥ ${p.threshold}` : "se conservan todas las imágenes sin etiquetar (sin umbral)"}; pesos: ` +
      `${p.weighting === "softmatch" ? "la gaussiana truncada de SoftMatch sobre la certeza (1 por encima de la certeza media de la ronda)" : p.weighting === "none" ? "ninguno (cada pseudoetiqueta pesa 1: el control sin ponderar)" : "la propia certeza"}; ` +
      `en cada ronda una red nueva (pesos iniciales nuevos) entrenada ${p.epochs} épocas con las imágenes etiquetadas + las pseudoetiquetadas, lote ` +
      `${p.batchSize}, y por lo demás la receta del Ejercicio 1 (SGD Nesterov, tasa de aprendizaje máxima ${p.peakLearningRate}, decaimiento de pesos ` +
      `${p.weightDecay}, suavizado de etiquetas ${p.labelSmoothing}, recorte + volteo)`,
    onlineParams: (p, steps) =>
      `${p.epochs} épocas de ${steps} pasos; en cada paso ${p.batchSize} imágenes etiquetadas y ` +
      `${(p.batchSize as number) * (p.unlabeledRatio as number)} sin etiquetar; la pseudoetiqueta sale de una vista con aumento débil (recorte + volteo) ` +
      `y se entrena sobre una vista con aumento fuerte (más alteración de color y un recorte de 16x16) cuando la certeza es ≥ ${p.threshold}, ponderada por ` +
      `la certeza; peso de la pérdida sin etiquetar ${p.unlabeledWeight}; SGD Nesterov, tasa de aprendizaje máxima ${p.peakLearningRate}, ` +
      `calentamiento ${pct(p.warmup as number, 0)}, decaimiento lineal, decaimiento de pesos ${p.weightDecay}`,
    accuracyColumns: ["modelo", "precisión en entrenamiento (imágenes etiquetadas)", "precisión en test (media ± desv., semillas)", "frente al Ejercicio 1", "tiempo¹", "ejecución"],
    ex1Row: (id) => `${id} (Ejercicio 1)`,
    timeFootnote: `¹ Tiempo real de todo el experimento (por semilla); en las variantes por rondas incluye entrenar su profesor de la ronda 0 (Ejercicio 1). ${rule}`,
    improvement: (f) => {
      const count = (kind: string) => f.verdicts.filter((v) => claim(v) === kind).length;
      const [better, worse, within, none] = [count("better"), count("worse"), count("within-noise"), count("none")];
      const tally = [
        better ? `${better} mejor${better === 1 ? "" : "es"} que el ${spread(f.ex1Test)} del Ejercicio 1` : "",
        worse ? `${worse} peor${worse === 1 ? "" : "es"}` : "",
        within ? `${within} dentro del ruido respecto a él` : "",
        none ? `${none} sin afirmación posible (una sola ejecución en un lado)` : "",
      ].filter((x) => x);
      const ours = claim(f.topVsEx1);
      const refFell = f.reference.ex2 < f.reference.ex1;
      return (
        `De las ${f.variants} variantes: ${tally.join(", ")}. La de mayor media, **${f.top}**, llega a **${spread(f.topTest)}**; frente al Ejercicio 1: ${verdict(f.topVsEx1)}. ` +
        `La solución de referencia del enunciado ${refFell ? "bajó" : "subió"} de ${acc(f.reference.ex1)} a ${acc(f.reference.ex2)} con su autoaprendizaje (una ejecución)` +
        (ours === "better" ? (refFell ? ": aquí el autoaprendizaje fue en sentido contrario." : ", como aquí.") : ours === "worse" ? (refFell ? ", como aquí." : ": aquí el autoaprendizaje fue en sentido contrario.") : ".")
      );
    },
    conclusions: (f) => {
      const lines: string[] = [];
      if (f.thresholds) {
        const { low, high, lowVsHigh } = f.thresholds;
        const kind = claim(lowVsHigh);
        lines.push(
          `- **${kind === "better" ? "La cantidad ganó a la pureza" : kind === "worse" ? "La pureza ganó a la cantidad" : "Cantidad frente a pureza: sin ganador medible"}.** En la ronda 1 el umbral 0.8 conservó ${int(high.added)} imágenes con ` +
            `una precisión del ${pct(high.precision)}, el umbral 0.5 ${int(low.added)} con un ${pct(low.precision)}; umbral 0.5 frente a 0.8: ${verdict(lowVsHigh)}.` +
            (kind === "better" ? " Con pesos de certeza las etiquetas erróneas cuentan menos, así que un umbral más bajo cuesta poco y añade muchas etiquetas correctas." : "") +
            (kind === "worse" ? " Los pesos de certeza no compensaron las etiquetas erróneas de más: un umbral más estricto salió mejor." : ""),
        );
      }
      if (f.softMatch) {
        const s = f.softMatch;
        const kind = s.vsThresholded ? claim(s.vsThresholded) : "none";
        lines.push(
          `- **Pesos de SoftMatch, sin umbral**: todas las imágenes sin etiquetar entran con un peso que vale 1 por encima de la certeza media y cae como una gaussiana por debajo` +
            `${s.meanWeight !== undefined && s.precision !== undefined ? ` (peso medio ${s.meanWeight.toFixed(2)}; precisión de todas las pseudoetiquetas ${pct(s.precision)})` : ""}. ` +
            `Dio ${spread(s.test)}${s.isBest ? ", la mayor media de las variantes" : ""}; frente al Ejercicio 1: ${verdict(s.vsEx1)}` +
            (s.vsThresholded ? `; frente a la mejor variante con umbral (${s.vsThresholded.other}): ${verdict(s.vsThresholded)}` : "") + ". " +
            (kind === "better" ? "Aquí los pesos por sí solos controlaron las pseudoetiquetas erróneas mejor que un umbral."
              : kind === "worse" ? "Quitar el umbral costó precisión aquí: los pesos por sí solos dejaron entrar demasiadas pseudoetiquetas erróneas."
              : kind === "within-noise" ? "Sin umbral lo hizo igual de bien que con él: los pesos por sí solos bastaron." : ""),
        );
      }
      if (f.rounds) {
        const kinds = f.rounds.gains.map(claim);
        const helped = kinds.filter((k) => k === "better").length;
        const head = kinds.every((k) => k === "none") ? "Rondas posteriores: sin afirmación con una ejecución"
          : helped === kinds.length ? "Las rondas posteriores ayudaron a todas las variantes"
          : helped === 0 ? "Las rondas posteriores no ayudaron de forma medible" : `Las rondas posteriores ayudaron a ${helped} de ${kinds.length} variantes`;
        const why = f.rounds.addedRose && f.rounds.precisionRose
          ? "el profesor de cada ronda etiquetó más imágenes por encima del umbral, y más de ellas correctamente, aunque el alumno también hereda los errores del profesor."
          : f.rounds.addedRose
            ? "el profesor de cada ronda añadió más imágenes, pero su precisión no subió: más etiquetas, no mejores."
            : helped > 0
              ? "los profesores de las rondas posteriores no etiquetaron más imágenes ni más de ellas correctamente: la mejora viene de entrenar un alumno nuevo con etiquetas igual de buenas, no de etiquetas mejores."
              : "los profesores de las rondas posteriores no etiquetaron más imágenes ni mejor, así que una ronda más tiene poco nuevo que enseñar.";
        lines.push(`- **${head}** (última ronda frente a la ronda 1: ${f.rounds.variants.map((id, i) => `${id} ${verdict(f.rounds!.gains[i])}`).join("; ")}): ${why}`);
      }
      if (f.weights) {
        const w = f.weights;
        lines.push(
          `- **Lo que aportan los pesos de certeza**: ${w.weighted} frente a las mismas pseudoetiquetas (certeza ≥ ${w.threshold}) con todos los pesos a 1 (${w.control}, un control): ${verdict(w.vs)}` +
            ({
              better: ". Los pesos ayudaron: las pseudoetiquetas erróneas, que suelen tener poca certeza, cuentan menos.",
              worse: ". Aquí los pesos costaron precisión: al rebajar las pseudoetiquetas menos seguras también rebajaron muchas correctas.",
              "within-noise": ". Con este umbral los pesos no produjeron una diferencia medible.",
              none: ".",
            }[claim(w.vs)]),
        );
      }
      if (f.online) {
        const o = f.online;
        const kind = claim(o.vsEx1);
        lines.push(
          `- **La variante en línea (estilo FixMatch) llegó a ${spread(o.test)}** en ${o.epochs} épocas; frente al Ejercicio 1: ${verdict(o.vsEx1)}. ` +
            `Las etiquetas ocultas (semilla ${o.seed}): al final el ${pct(o.maskRate)} de las imágenes sin etiquetar superaba el umbral ${o.threshold} y el ${pct(o.precision)} de esas pseudoetiquetas era correcto. ` +
            (kind === "worse"
              ? o.precision < 0.8
                ? "La red se volvió segura sobre imágenes sin etiquetar que etiqueta mal (sesgo de confirmación), algo que el umbral por sí solo no evita con un entrenamiento tan corto; las variantes por rondas, cuyo profesor es una red ya entrenada, no tienen ese bucle de realimentación."
                : "Sus pseudoetiquetas seguras eran casi todas correctas: el sesgo de confirmación no explica la diferencia."
              : kind === "better"
                ? "Sus pseudoetiquetas seguras aportaron suficiente señal correcta para superar a la red supervisada."
                : ""),
        );
      }
      const tr = f.train;
      lines.push(
        `- La precisión en entrenamiento se mide solo sobre las imágenes etiquetadas. Desde ${acc(tr.ex1)} (Ejercicio 1) ${tr.allLower ? "baja" : "pasa"} a ` +
          `${tr.variants.map((v) => `${acc(v.train)} (${v.experiment})`).join(", ")}` +
          (tr.allLower ? ": al entrenarse también con imágenes pseudoetiquetadas, las redes memorizan menos las etiquetadas" : "") +
          `; la brecha entre entrenamiento y test ${tr.bestGap < tr.ex1Gap ? "se estrecha" : "se ensancha"} de ${pp(tr.ex1Gap).replace("+", "")} a ${pp(tr.bestGap).replace("+", "")} en la variante de mayor media (${tr.best}).`,
      );
      return lines.join("\n");
    },
  },
  autoencoder: {
    gridTitles: {
      ex3: "Paso 1: imágenes de test y sus reconstrucciones",
      ex4: "Imágenes de test y sus reconstrucciones por el modelo entrenado de forma conjunta",
    },
    curveTitles: {
      ex3: "Paso 1: error de reconstrucción por época",
      ex4: "Ejercicio 4: error de reconstrucción por época (lotes de entrenamiento)",
    },
    noSamples: (id) => `${id} no guardó reconstrucciones.`,
    testImages: "imágenes de test",
    reconstructions: "reconstrucciones",
    stageSeries: "autoencoder (Ejercicio 3, paso 1)",
    trainBatches: "lotes de entrenamiento",
    errorAxis: "error cuadrático medio por píxel",
    twoStepParams: (p, images) => [
      `paso 1 (autoencoder): ${p.autoencoderEpochs} épocas sobre ${images === undefined ? "todas las" : int(images)} imágenes de entrenamiento, lote ${p.autoencoderBatchSize}, ` +
        `Adam, tasa de aprendizaje ${p.autoencoderPeakLearningRate} (calentamiento ${pct(p.autoencoderWarmup as number, 0)}, decaimiento lineal), error cuadrático medio, recorte + volteo`,
      `paso 2 (clasificador, codificador ${p.encoder === "frozen" ? "congelado" : p.encoder === "fine-tuned" ? "ajustado" : p.encoder}): ${p.epochs} épocas sobre las imágenes etiquetadas, lote ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
        `tasa de aprendizaje máxima ${p.peakLearningRate}, decaimiento de pesos ${p.weightDecay}, suavizado de etiquetas ${p.labelSmoothing}, recorte + volteo`,
    ],
    oneStepParams: (p) => [
      `${p.epochs} épocas (pasadas sobre las imágenes etiquetadas); en cada paso ${p.labeledBatchSize} imágenes etiquetadas + ${p.unlabeledBatchSize} sin etiquetar; ` +
        `pérdida = entropía cruzada sobre las etiquetadas (pesos por ejemplo, 0 para las no etiquetadas) + ${p.reconstructionWeight} × error cuadrático medio de reconstrucción sobre todas; ` +
        `SGD Nesterov ${p.momentum}, tasa de aprendizaje máxima ${p.peakLearningRate} (calentamiento ${pct(p.warmup as number, 0)}, decaimiento lineal), decaimiento de pesos ${p.weightDecay}, ` +
        `suavizado de etiquetas ${p.labelSmoothing}, recorte + volteo`,
    ],
    accuracyColumns: ["modelo", "precisión en entrenamiento (imágenes etiquetadas)", "precisión en test (media ± desv., semillas)", "error de reconstrucción en test", "tiempo", "ejecución"],
    comparison: (f) =>
      [
        ...f.rows.map(
          (r) => `- **${r.experiment}**: ${spread(r.test)}. ${r.vsEx1 ? `Frente al Ejercicio 1: ${verdict(r.vsEx1)}. ` : ""}Frente al mejor resultado anterior (${f.bestEarlier}): ${verdict(r.vsBest)}.`,
        ),
        `- La solución de referencia del enunciado obtuvo aquí ${acc(f.reference.figure)} (una ejecución; ${f.reference.file}); frente a ella: ` +
          f.reference.rows.map((r) => `${r.experiment} ${verdict(r.versus)}`).join("; ") + ".",
      ].join("\n"),
    ex3Conclusions: (f) => {
      const lines: string[] = [];
      if (f.frozen) {
        lines.push(
          `- **Codificador congelado: ${spread(f.frozen.test)}**; frente al Ejercicio 1: ${verdict(f.frozen.vsEx1)}. Solo aprende la capa Dense, así que esto mide hasta qué punto las características del autoencoder separan linealmente las clases.` +
            (claim(f.frozen.vsEx1) === "worse"
              ? " La reconstrucción premia conservar lo que permite redibujar los píxeles (color, brillo, composición), no lo que distingue un arce de un roble: las características contienen algo de información de clase, mucha menos que una red entrenada para la tarea."
              : claim(f.frozen.vsEx1) === "better" ? " Las características del autoencoder separan las clases mejor que las de la propia red supervisada: la reconstrucción conservó información de clase que las etiquetas solas no enseñaron." : ""),
        );
      }
      if (f.tuned) {
        const k = claim(f.tuned.vsEx1);
        lines.push(
          `- **Codificador ajustado: ${spread(f.tuned.test)}**; frente al Ejercicio 1: ${verdict(f.tuned.vsEx1)}.` +
            (k === "better" ? " Partir de los pesos del autoencoder ayudó: las imágenes sin etiquetar dieron forma a los filtros de las primeras capas antes de usar las etiquetas."
              : k === "worse" || k === "within-noise"
                ? ` Partir de los pesos del autoencoder no ayudó. Una razón probable: con BatchNorm, aumento de datos y ${f.tuned.epochs} épocas la red inicializada al azar ya encuentra buenos filtros de bajo nivel, y la tasa de aprendizaje alta del principio sobrescribe los preentrenados.`
                : ""),
        );
      }
      if (f.tunedVsFrozen) {
        const k = claim(f.tunedVsFrozen);
        lines.push(`- Ajustado frente a congelado: ${verdict(f.tunedVsFrozen)}${k === "better" ? ": hay que dejar que el clasificador cambie el codificador." : "."}`);
      }
      if (f.stage) lines.push(`- El autoencoder llegó a un error cuadrático medio de ${f.stage.error.toFixed(4)} por píxel en las imágenes de test (píxeles en [0, 1]) tras ${f.stage.epochs} épocas sobre ${int(f.stage.images)} imágenes (${f.stage.time}).`);
      return lines.join("\n");
    },
    ex4Conclusions: (f) =>
      [
        `- Entrenado a la vez, el clasificador llega a **${spread(f.test)}**; frente al Ejercicio 1 (${f.ex1Epochs} épocas frente a ${f.epochs}: no es el mismo presupuesto): ${verdict(f.vsEx1)}` +
          (f.vsBestTwoStep ? `; frente a la mejor variante en dos pasos (${f.vsBestTwoStep.other}): ${verdict(f.vsBestTwoStep)}.` : "."),
        ...(f.vsBudgetControl
          ? [
              `- Con los mismos pasos, frente a la red supervisada entrenada con el presupuesto de este ejercicio (${f.vsBudgetControl.other}, ${f.epochs} épocas): ${verdict(f.vsBudgetControl)}` +
                ({
                  better: ": el término de reconstrucción ayuda al clasificador con el mismo número de pasos.",
                  worse: ": con el mismo número de pasos el término de reconstrucción le cuesta precisión al clasificador.",
                  "within-noise": ": con el mismo número de pasos el término de reconstrucción no aporta nada medible; una diferencia frente al Ejercicio 1 se debe entonces al presupuesto, no al autoencoder.",
                  none: ".",
                }[claim(f.vsBudgetControl)]),
            ]
          : []),
        f.error !== undefined && f.stageError !== undefined
          ? `- El error de reconstrucción en test es ${f.error.toFixed(4)} por píxel, frente a ${f.stageError.toFixed(4)} del autoencoder entrenado solo para reconstruir` +
            (f.error > f.stageError ? ": la pérdida de clasificación empuja el codificador compartido hacia características de clase y deja al decodificador menos imagen que redibujar." : ".")
          : `- El error de reconstrucción en test ${f.error === undefined ? "no se registró" : `es ${f.error.toFixed(4)} por píxel`}.`,
        `- La precisión en entrenamiento sobre las imágenes etiquetadas es ${acc(f.train)} (Ejercicio 1: ${acc(f.ex1Train)}).`,
      ].join("\n"),
  },
  oneClass: {
    radiusSeries: "radio r (tras la época)",
    lossSeries: "pérdida (1/nu) media max(0, r - puntuación)",
    belowSeries: "fracción de puntuaciones del lote de entrenamiento por debajo de r",
    radiusTitle: (f) =>
      `Entrenamiento one-class: r se movió menos de ${f.tolerance} durante ${f.patience} épocas seguidas ${f.stoppedEarly ? `tras ${f.epochsRun} épocas` : `(no en ${f.epochs} épocas)`}`,
    sets: { labeled: "etiquetadas", unlabeled: "sin etiquetar" },
    scoresTitle: "Puntuaciones de las imágenes etiquetadas y sin etiquetar; la línea es el radio r",
    scoreAxis: "puntuación one-class",
    shareAxis: "fracción del conjunto",
    mostTypical: "Imágenes sin etiquetar más típicas (puntuaciones más altas)",
    leastTypical: "Imágenes sin etiquetar menos típicas (puntuaciones más bajas: eliminadas)",
    removedTitle: (top) => `Imágenes sin etiquetar eliminadas por clase (oculta): las ${top} más afectadas; la línea es un reparto uniforme`,
    removedAxis: "imágenes eliminadas",
    removal: (f) =>
      [
        `- El entrenamiento ${f.stoppedEarly ? `se detuvo tras ${f.epochsRun} épocas, cuando r llevaba ${f.patience} épocas seguidas moviéndose menos de ${f.tolerance}` : `hizo las ${f.epochsRun} épocas sin cumplir la regla de parada`}; el radio final es **r = ${f.radius.toFixed(4)}**.`,
        `- **${int(f.removed)} de las ${int(f.removed + f.kept)} imágenes sin etiquetar (${pct(f.removed / (f.removed + f.kept))}) puntúan por debajo de r y se eliminan**; quedan ${int(f.kept)}. ` +
          `Por construcción el ${pct(1 - f.nu, 0)} de las imágenes etiquetadas queda por debajo de r (medido: ${pct(f.labeledBelow)}); de las de test, el ${pct(f.testBelow)}.`,
        `- Las clases que más perdieron: ${f.mostAffected.map((c) => `${c.name} (${c.count})`).join(", ")}, cuando una eliminación ciega a las clases quitaría unas ${f.uniform.toFixed(1)} de cada una; ${f.classesUntouched} clases no perdieron ninguna.`,
        ...(f.ties > 0 ? [`- ${f.ties} imágenes sin etiquetar puntúan exactamente r (se conservan).`] : []),
      ].join("\n"),
    allUnlabeled: "todas las imágenes sin etiquetar",
    outliersRemoved: "sin las atípicas",
    historyAxis: "radio, pérdida o proporción",
    modelAxis: "modelo",
    seedsAxis: "precisión en test (huecos: cada semilla; rellenos: media ± desv.)",
    beforeAfterTitle: "Precisión en test antes y después de eliminar las atípicas según la red one-class",
    testAxis: "precisión en test",
    answer: (f) => {
      const kinds = f.changed.map((c) => claim(c.afterVsBefore));
      const better = kinds.filter((k) => k === "better").length;
      const worse = kinds.filter((k) => k === "worse").length;
      const undecided = kinds.length - better - worse;
      const exercisesWhere = (kind: string) => f.changed.filter((c) => claim(c.afterVsBefore) === kind).map((c) => `el Ejercicio ${c.exercise}`).join(" y ");
      const rest = kinds.includes("none") ? "queda dentro del ruido o no permite afirmar nada" : "queda dentro del ruido";
      const others = `en ${undecided === 1 ? "el otro" : `los otros ${undecided}`} el cambio ${rest}`;
      const why = () => {
        if (better === 0 && worse === 0) {
          return kinds.every((k) => k === "within-noise")
            ? "Eliminar las atípicas no cambia nada de forma medible. Las imágenes sin etiquetar vienen de la misma distribución que las etiquetadas (una partición aleatoria del mismo conjunto de entrenamiento), así que las menos típicas son inusuales, no ajenas."
            : "Con una sola ejecución por lado la regla de ruido del estudio aún no permite responder; más semillas lo harán.";
        }
        if (better > 0 && worse > 0) return "El efecto depende del método: no hay una respuesta única para todos.";
        if (better > 0) {
          return undecided === 0
            ? "Eliminar las imágenes menos típicas ayudó a todos los métodos repetidos: eran las que más probablemente recibían pseudoetiquetas erróneas o alejaban la representación de las clases etiquetadas."
            : `Eliminar las imágenes menos típicas ayudó solo en ${exercisesWhere("better")}; ${others}, así que la eliminación no es una mejora general.`;
        }
        return undecided === 0
          ? "Eliminarlas perjudicó a todos los métodos repetidos: las imágenes menos típicas aún aportaban información útil, y menos imágenes sin etiquetar significa menos señal para los métodos semisupervisados."
          : `Eliminarlas perjudicó solo en ${exercisesWhere("worse")}: allí las imágenes menos típicas aún aportaban señal útil (menos imágenes sin etiquetar, menos de lo que ese método aprende); ${others}.`;
      };
      const lines = [
        ...f.unchanged.map((u) => `- Ejercicio 1 (${u.experiment}): sin cambios por construcción, ${spread(u.test)}: se entrena solo con las imágenes etiquetadas, y la eliminación solo toca las no etiquetadas.`),
        ...f.changed.map((c) => `- Ejercicio ${c.exercise} (${c.before} → ${c.after}): ${spread(c.beforeTest)} → **${spread(c.afterTest)}**: ${verdict(c.afterVsBefore)}.`),
      ];
      lines.push(
        `- ${better} de ${kinds.length} ${better === 1 ? "mejoró" : "mejoraron"}, ${worse} ${worse === 1 ? "empeoró" : "empeoraron"} y ${undecided} ${kinds.every((k) => k === "none") ? "no permiten afirmar nada (una sola ejecución en un lado)" : "quedan dentro del ruido o no permiten afirmar nada"}; el cambio medio es ${pp(f.meanChange)} ` +
          why(),
      );
      return lines.join("\n");
    },
    repeated: (rows) =>
      `Los ejercicios ${rows.map((r) => r.exercise).join(", ")} se repiten con una variante cada uno, sobre las imágenes sin etiquetar que superaron la red one-class:\n\n` +
      rows
        .map((r) => {
          const head = `- Ejercicio ${r.exercise}: **${r.repeated}** (${spread(r.test)})`;
          if (!r.choice) return `${head}, la única variante semisupervisada del ejercicio.`;
          const c = r.choice;
          const validation = c.validationBest === r.repeated ? "lo que confirman los resultados de validación"
            : c.validationBest === null ? `aún sin confirmar: falta el resultado de validación de ${c.missingOnValidation.join(", ")}`
            : `aunque los resultados de validación favorecen ahora a ${c.validationBest}`;
          const test = r.bestOnTest
            ? `${r.bestOnTest.experiment} tiene una media mayor; frente a ella: ${verdict(r.bestOnTest.versusRepeated)}`
            : "también tiene la mayor media";
          if (c.pickedOnTestBeforeValidation) {
            return `${head}, elegida con el conjunto de test antes de que existiera la partición de validación; ${validation === "lo que confirman los resultados de validación" ? "los resultados de validación la confirman" : validation.replace(/^aunque /, "")}, y el ejercicio 5 aún no se ha repetido con esa variante. En el conjunto de test, ${test}.`;
          }
          return `${head}, elegida entre ${c.candidates.length} variantes por su precisión media en la partición de validación, ${validation}. En el conjunto de test, que no intervino en la elección, ${test}.`;
        })
        .join("\n"),
  },
  contrastive: {
    shareAxis: "proporción",
    probeAxis: "precisión o puntuación",
    stepOneSeries: (id) => `${id}: preentrenamiento contrastivo (paso 1)`,
    oneStepSeries: (id) => `${id} (un paso)`,
    pretrainingSeries: (outliersRemoved) => `preentrenamiento contrastivo${outliersRemoved ? " (sin las atípicas)" : ""}`,
    loss: (p, joint) => {
      const k = p.contrastiveClusters as number;
      const hue = (p.contrastiveHue as number | undefined) ?? 0;
      const greyscale = (p.contrastiveGreyscale as number | undefined) ?? 0;
      const colour = ["alteración de brillo, contraste y saturación", ...(hue > 0 ? [`una rotación del tono de hasta ±${Math.round(hue * 360)}°`] : []), ...(greyscale > 0 ? [`escala de grises con probabilidad ${greyscale}`] : [])].join(", ");
      return [
        `Para un lote de B imágenes, dos vistas de cada una (desplazamiento + volteo, un recorte aleatorio del ${pct(p.contrastiveCropMinArea as number, 0)}-100\u00a0% del área redimensionado a 32×32, y después ${colour}), una pasada hacia delante sobre las 2B vistas da`,
        `los mapas de características 4×4×C del codificador; el propio global average pooling del clasificador (sin pesos) convierte cada uno en un vector **h** (C valores),`,
        `la cabeza de proyección lo lleva a **p = W₂ relu(W₁ h)** (${p.contrastiveProjection} valores) y **Z = p / ‖p‖**. Con Z₁, Z₂ las filas de las dos vistas (B × ${p.contrastiveProjection}) y c = softmax(logits / ${p.contrastiveClusterTemperature}) la asignación de la cabeza de clústeres`,
        `(BatchNorm(h) y después una capa Dense con K = ${k} unidades):`,
        "",
        `- **InfoNCE** = ½ [CE(M, I) + CE(Mᵀ, I)], M = Z₁Z₂ᵀ / τ, τ = ${p.contrastiveTemperature}: cada imagen debe elegir su otra vista entre las B del lote;`,
        `- **término de clústeres** = λ [G(c₁) + G(c₂)], G = media en el lote de Σₖ cₖ(1 − cₖ), λ = ${p.contrastiveClusterWeight}: empuja la asignación de cada vista hacia un one-hot;`,
        `- **término de equilibrio** = β (ln K − H(c̄)), c̄ = asignación media sobre las dos vistas del lote, H su entropía, β = ${p.contrastiveBalanceWeight}: 0 cuando el`,
        `  lote usa los ${k} clústeres por igual, ln K = ${Math.log(k).toFixed(2)} cuando usa uno solo.`,
        "",
        `**L = InfoNCE + término de clústeres + término de equilibrio**` + (joint ? `, y en el modelo de un paso **CE(etiquetadas) + ${p.contrastiveWeight} × L**.` : "."),
      ].join("\n");
    },
    clusterPart: "término de clústeres λ(G₁+G₂)",
    balancePart: "término de equilibrio β(ln K − H)",
    classificationPart: "clasificación (etiquetadas)",
    totalPart: "pérdida total",
    lossTitle: "La pérdida y sus partes por época (medias sobre los lotes de entrenamiento)",
    lossAxis: "pérdida",
    largestCluster: "fracción de las imágenes en el clúster mayor",
    clustersInUse: (k) => `fracción de los ${k} clústeres en uso`,
    sizeEntropy: "entropía de los tamaños de clúster / ln K",
    clustersTitle: "Tamaños de los clústeres en las imágenes etiquetadas (argmax de la cabeza de clústeres, modo inferencia)",
    probeH: "sonda k-NN de h (consultas de test)",
    probeP: "sonda k-NN de p (consultas de test)",
    nmi: "NMI entre clústeres y etiquetas",
    classifierTest: "precisión en test del clasificador",
    ownView: "vista propia encontrada en el lote (entrenamiento)",
    probeTitle: "¿Aprende la representación? Precisión de las sondas por época",
    diagnostics: (f) => {
      const { first, last, start } = f;
      if (!first || !last || !start) return `- **${f.label}**: sin historial.`;
      const parts = [
        `InfoNCE ${first.infoNce.toFixed(3)} → ${last.infoNce.toFixed(3)} (época 1 → ${last.epoch}; vista propia encontrada en el ${pct(first.instanceAccuracy)} → ${pct(last.instanceAccuracy)} de las filas)`,
        `término de clústeres ${first.clusterTerm.toFixed(3)} → ${last.clusterTerm.toFixed(3)}, término de equilibrio ${first.balanceTerm.toFixed(3)} → ${last.balanceTerm.toFixed(3)}`,
        `sonda k-NN de h ${pct(start.knnAccuracy)} → **${pct(last.knnAccuracy)}**${f.untrainedStart ? " (red sin entrenar → última época)" : ""}` +
          (typeof last.knnProjectionAccuracy === "number" ? `, de la proyección p ${typeof start.knnProjectionAccuracy === "number" ? `${pct(start.knnProjectionAccuracy)} → ` : ""}${pct(last.knnProjectionAccuracy)}` : ""),
        `clúster mayor ${pct(start.largestClusterShare)} → ${pct(last.largestClusterShare)} de las imágenes etiquetadas, ${start.nonEmptyClusters} → ${last.nonEmptyClusters} de ${f.clusters} clústeres en uso, NMI con las etiquetas ${start.clusterNmi.toFixed(3)} → ${last.clusterNmi.toFixed(3)}`,
      ];
      return `- **${f.label}**: ${parts.join("; ")}.`;
    },
    twoStepParams: (p, d, knnTemperature) => [
      `paso 1 (preentrenamiento contrastivo, sin etiquetas): ${p.contrastiveEpochs} épocas sobre las ${int(d.labeled)} imágenes etiquetadas + ${int(d.unlabeled)} sin etiquetar${d.removedBy ? ` (sin las atípicas según ${d.removedBy})` : ""}, lote de ${p.contrastiveBatchSize} imágenes (${2 * (p.contrastiveBatchSize as number)} vistas), ` +
        `SGD Nesterov ${p.contrastiveMomentum}, tasa de aprendizaje máxima ${p.contrastivePeakLearningRate} (calentamiento ${pct(p.contrastiveWarmup as number, 0)}, decaimiento lineal), decaimiento de pesos ${p.contrastiveWeightDecay}; ` +
        `τ ${p.contrastiveTemperature}, λ ${p.contrastiveClusterWeight}, β ${p.contrastiveBalanceWeight}, ${p.contrastiveClusters} clústeres (temperatura de la softmax ${p.contrastiveClusterTemperature})`,
      `paso 2 (clasificador, codificador ${p.encoder === "frozen" ? "congelado" : p.encoder === "fine-tuned" ? "ajustado" : p.encoder}): ${p.epochs} épocas sobre las imágenes etiquetadas, lote ${p.batchSize}, SGD Nesterov ${p.momentum}, ` +
        `tasa de aprendizaje máxima ${p.peakLearningRate}, decaimiento de pesos ${p.weightDecay}, suavizado de etiquetas ${p.labelSmoothing}, recorte + volteo (la receta del Ejercicio 1)`,
      `sonda k-NN tras cada época: k = ${p.probeK}, pesos de voto exp(coseno / ${knnTemperature}), hasta ${p.probeQueries} imágenes de test como consultas, las imágenes etiquetadas como memoria`,
    ],
    oneStepParams: (p, d, knnTemperature) => [
      `${p.epochs} épocas (pasadas sobre las imágenes etiquetadas) con las ${int(d.labeled)} imágenes etiquetadas + ${int(d.unlabeled)} sin etiquetar${d.removedBy ? ` (sin las atípicas según ${d.removedBy})` : ""}; en cada paso ${p.labeledBatchSize} etiquetadas + ${p.unlabeledBatchSize} sin etiquetar, dos vistas fuertes de cada una ` +
        `(${2 * ((p.labeledBatchSize as number) + (p.unlabeledBatchSize as number))} filas en una pasada)`,
      `pérdida = entropía cruzada sobre las dos vistas de las etiquetadas (pesos por ejemplo; 0 en las filas sin etiquetar) + ${p.contrastiveWeight} × (InfoNCE + término de clústeres + término de equilibrio) sobre todas las filas; ` +
        `τ ${p.contrastiveTemperature}, λ ${p.contrastiveClusterWeight}, β ${p.contrastiveBalanceWeight}, ${p.contrastiveClusters} clústeres (temperatura de la softmax ${p.contrastiveClusterTemperature})`,
      `SGD Nesterov ${p.momentum}, tasa de aprendizaje máxima ${p.peakLearningRate} (calentamiento ${pct(p.warmup as number, 0)}, decaimiento lineal), decaimiento de pesos ${p.weightDecay}, suavizado de etiquetas ${p.labelSmoothing}`,
      `sonda k-NN tras cada época: k = ${p.probeK}, pesos de voto exp(coseno / ${knnTemperature}), hasta ${p.probeQueries} imágenes de test como consultas, las imágenes etiquetadas como memoria`,
    ],
    accuracyColumns: ["modelo", "precisión en entrenamiento (imágenes etiquetadas)", "precisión en test (media ± desv., semillas)", "sonda k-NN del codificador", "tiempo", "ejecución"],
    comparison: (f) =>
      [
        ...f.rows.map((r) => {
          const parts = [
            r.vsAutoencoder ? `frente al autoencoder en su lugar (${r.vsAutoencoder.other}): ${verdict(r.vsAutoencoder)}` : "",
            r.vsEx1 ? `frente al Ejercicio 1: ${verdict(r.vsEx1)}` : "",
            r.vsBest ? `frente al mejor resultado anterior (${r.vsBest.other}): ${verdict(r.vsBest)}` : "",
          ].filter((x) => x);
          return `- **${r.experiment}**: ${spread(r.test)}; ${parts.join("; ")}.`;
        }),
        ...(f.reference ? [`- ${rule}`, `- La solución de referencia del enunciado obtuvo ${acc(f.reference!.test)} con su versión de esta técnica (${acc(f.reference!.outliersRemoved)} sin las atípicas; una ejecución cada una; ${f.reference!.file}).`] : []),
      ].join("\n"),
    twoStepConclusions: (f) => {
      const lines: string[] = [];
      const pre = f.pretraining;
      if (pre) {
        const k = claim(pre.probe);
        lines.push(
          `- ${pre.infoNce[1] < pre.infoNce[0] ? "El preentrenamiento contrastivo optimizó su tarea" : "El preentrenamiento contrastivo no redujo su pérdida"}: en ${pre.epochs} épocas sobre ${int(pre.images)} imágenes (${pre.time}) la InfoNCE pasó de ${pre.infoNce[0].toFixed(3)} a ${pre.infoNce[1].toFixed(3)} ` +
            `y cada vista encontró a su pareja en el lote en el ${pct(pre.ownView[0])} → ${pct(pre.ownView[1])} de las filas, con ${pre.clustersInUse} clústeres en uso (el mayor con el ${pct(pre.largestCluster)} de las imágenes etiquetadas). ` +
            `La sonda k-NN de sus características agregadas, red sin entrenar → final: ${pct(pre.probe.b.mean)} → ${pct(pre.probe.a.mean)}, ${verdict(pre.probe)}. ` +
            (k === "better" ? "Las características agrupan las imágenes de una misma clase mejor que al principio, sin ninguna etiqueta."
              : k === "worse" || k === "within-noise"
                ? "Lo que permite al codificador emparejar dos vistas de una imagen no es, aquí, lo que hace vecinas a las imágenes de una misma clase: el clasificador congelado de abajo mide mejor lo que contienen las características."
                : ""),
        );
      }
      if (f.frozen) {
        const k = f.frozen.vsAutoencoder ? claim(f.frozen.vsAutoencoder) : "none";
        lines.push(
          `- **Codificador congelado: ${spread(f.frozen.test)}**; frente al Ejercicio 1: ${verdict(f.frozen.vsEx1)}` +
            (f.frozen.vsAutoencoder ? `; frente al codificador congelado del autoencoder: ${verdict(f.frozen.vsAutoencoder)}` : "") +
            `. Solo aprende la capa Dense, así que esto mide hasta qué punto las características contrastivas separan linealmente las clases.` +
            (k === "better" ? " Distinguir imágenes bajo alteraciones de color y recortes redimensionados conserva más de lo que identifica un objeto que redibujar sus píxeles."
              : k === "worse" ? " Aquí redibujar los píxeles conservó más información de clase que distinguir vistas." : ""),
        );
      }
      if (f.tuned) {
        const k = claim(f.tuned.vsEx1);
        lines.push(
          `- **Codificador ajustado: ${spread(f.tuned.test)}**; frente al Ejercicio 1: ${verdict(f.tuned.vsEx1)}` +
            (f.tuned.vsAutoencoder ? `; frente al codificador ajustado del autoencoder: ${verdict(f.tuned.vsAutoencoder)}` : "") + ". " +
            (k === "better" ? "Partir de los pesos contrastivos ayudó: las imágenes sin etiquetar dieron forma al codificador antes de usar las etiquetas."
              : k === "worse" || k === "within-noise"
                ? `Partir de los pesos contrastivos no ayudó: con ${f.tuned.epochs} épocas de la receta del Ejercicio 1 (tasa de aprendizaje alta al principio) el clasificador sobrescribe en gran parte su punto de partida.`
                : ""),
        );
      }
      if (f.tunedVsFrozen) lines.push(`- Ajustado frente a congelado: ${verdict(f.tunedVsFrozen)}.`);
      return lines.join("\n");
    },
    jointConclusions: (f) => {
      const lines = [
        `- Entrenado a la vez, el clasificador llega a **${spread(f.test)}**; frente al Ejercicio 1: ${verdict(f.vsEx1)}` +
          (f.vsAutoencoder ? `; frente al autoencoder entrenado junto con él (${f.vsAutoencoder.other}): ${verdict(f.vsAutoencoder)}` : "") +
          (f.vsBestTwoStep ? `; frente a la mejor variante contrastiva en dos pasos (${f.vsBestTwoStep.other}): ${verdict(f.vsBestTwoStep)}.` : "."),
        `- La precisión en entrenamiento sobre las imágenes etiquetadas es ${acc(f.train)} (Ejercicio 1: ${acc(f.ex1Train)})` +
          (f.train < f.ex1Train ? ": menor, como cabe esperar cuando el término contrastivo y las vistas con aumento fuerte actúan como regularizador." : "."),
      ];
      if (f.probe) {
        lines.push(
          `- La sonda k-NN del codificador compartido pasó de ${f.probe.start === undefined ? "(no registrada)" : pct(f.probe.start)} a ${pct(f.probe.end)}; la parte contrastiva de la pérdida terminó en ` +
            `${f.probe.contrastiveLoss.toFixed(3)} (InfoNCE ${f.probe.infoNce.toFixed(3)}) con ${f.probe.clustersInUse} clústeres en uso.`,
        );
      }
      return lines.join("\n");
    },
    outliers: (f) =>
      [
        ...f.rows.map((r) =>
          !r.vsBase
            ? `- **${r.experiment}**: ${spread(r.test)} (no hay resultado con las atípicas con el que comparar).`
            : `- **${r.experiment}**: ${spread(r.test)} frente a ${spread(r.vsBase.b)} de ${r.base} (${int(r.removed!)} de ${int(r.unlabeled!)} imágenes sin etiquetar eliminadas): ` +
              `${{ better: "sí: ", worse: "no, empeora: ", "within-noise": "no: ", none: "" }[claim(r.vsBase)]}${verdict(r.vsBase)}.`,
        ),
        `- La variante contrastiva de la solución de referencia ${f.reference.outliersRemoved < f.reference.test ? "bajó" : "subió"} de ${acc(f.reference.test)} a ${acc(f.reference.outliersRemoved)} al eliminar sus atípicas (una ejecución cada una).`,
      ].join("\n"),
    noAblations: "(no hay resultados de la ablación en bench/results/contrastive-ablation)",
    ablatedLabels: { contrastiveHue: "tono", contrastiveGreyscale: "grises", contrastiveTemperature: "τ", contrastiveCropMinArea: "área mínima del recorte", contrastiveClusterWeight: "λ", contrastiveBalanceWeight: "β" },
    chosenMark: "la configuración de las ejecuciones completas",
    ablation: (f) =>
      [
        `Ejecuciones cortas del preentrenamiento (${f.epochs} épocas sobre las ${int(f.images)} imágenes de entrenamiento, con el calendario escalado a ellas, ` +
          `la misma semilla; \`scripts/ablate-contrastive.ts\`), cambiando una cosa cada vez:`,
        "",
        "| ejecución | vistas y pérdida | sonda k-NN de h (sin entrenar → última época) | k-NN de p | vista propia encontrada | clúster mayor | tiempo | ejecutada en |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        ...f.rows,
        "",
        `Cada fila es una ejecución (semilla ${f.seeds.join(", ")}): según la regla de ruido del estudio, una diferencia entre dos filas no es una afirmación; las filas eligieron la configuración, no demuestran que una sea mejor. ` +
          "La precisión de instancia no es comparable entre temperaturas.",
        "",
        `Mejor sonda: **${f.best}** (${pct(f.bestProbe)}). Las ejecuciones completas usan ${f.chosen}. ` +
          (f.queriesFrom === "validation"
            ? "Las consultas de la sonda fueron las imágenes etiquetadas apartadas de la partición de validación: la elección no leyó el conjunto de test."
            : "Las consultas de la sonda fueron imágenes de test: estas ejecuciones son anteriores a la partición de validación, así que esta elección leyó el conjunto de test; " +
              "`scripts/ablate-contrastive.ts --profile validation` las repite sobre las imágenes etiquetadas apartadas (aún no se ha hecho)."),
      ].join("\n"),
  },
};
