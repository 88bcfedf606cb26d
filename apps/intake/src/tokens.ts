export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');
export const PIPELINE_CATALOG = Symbol('PIPELINE_CATALOG');
