export * from './subjects';
export * from './errors';
export * from './jobs';
export * from './work';
export * from './events';
export * from './frame-codec';
export * from './api-keys';
