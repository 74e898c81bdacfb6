/** Reference models: factories, their default configs, and sampling for the character LMs. */
export { createMlp, mlpConfig, type MlpConfig } from "./mlp.js";
export { createTabularMlp, tabularMlpConfig, type TabularMlpConfig } from "./tabular-mlp.js";
export { createCnn, cnnConfig, type CnnConfig } from "./cnn.js";
export { createCnnBn, cnnBnConfig, augmentBatch, type CnnBnConfig, type AugmentOptions } from "./cnn-bn.js";
export { CharLSTM, createCharLstm, charLstmConfig, generateCharLstm, type CharLstmConfig, type LstmState } from "./char-lstm.js";
export { CharGPT, createCharGpt, charGptConfig, generateCharGpt, type CharGptConfig } from "./char-gpt.js";
export { SeqClassifier, createSeqClassifier, seqClassifierConfig, type SeqClassifierConfig } from "./seq-classifier.js";
export { RowGru, createRowGru, rowGruConfig, type RowGruConfig } from "./row-gru.js";
export { CharVocab } from "./char-vocab.js";
export { sampleFromLogits, lastLogits, type SampleOptions, type GenerateOptions } from "./sampling.js";
export { UNet, unetConfig, UNET_DEFAULTS, countParameters, type UNetConfig } from "./unet.js";
export { DDPM, DDPM_PRESETS, type DdpmConfig } from "./ddpm.js";
