export const SDK_BROWSER_VERSION = '0.1.0';
