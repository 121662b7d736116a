export const ML_CORE_VERSION = '0.1.0';
