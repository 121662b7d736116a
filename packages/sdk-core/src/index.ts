export const SDK_CORE_VERSION = '0.1.0';
