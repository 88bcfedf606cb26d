/** The stages of the system in pipeline order: every app is one, and workers, events and metrics name them. */
export const STAGES = ['intake', 'extractor', 'inference', 'persister', 'status'] as const;
export type Stage = (typeof STAGES)[number];
