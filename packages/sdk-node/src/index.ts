export const SDK_NODE_VERSION = '0.1.0';
