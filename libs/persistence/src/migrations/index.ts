import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795971600000 } from './1795971600000-InitialSchema';
import { JobInferenceTime1795982400000 } from './1795982400000-JobInferenceTime';
import { Outbox1796000000000 } from './1796000000000-Outbox';
import { JobRetention1796188600000 } from './1796188600000-JobRetention';
import { FrameGeometry1796200000000 } from './1796200000000-FrameGeometry';
import { TextTracks1796400000000 } from './1796400000000-TextTracks';
import { JobSampling1796500000000 } from './1796500000000-JobSampling';
import { Webhooks1796600000000 } from './1796600000000-Webhooks';
import { TemporalReuse1796800000000 } from './1796800000000-TemporalReuse';
import { KeyframeSampling1796900000000 } from './1796900000000-KeyframeSampling';

/** Committed migrations, oldest first. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS: readonly (new () => MigrationInterface)[] = [
  InitialSchema1795971600000,
  JobInferenceTime1795982400000,
  Outbox1796000000000,
  JobRetention1796188600000,
  FrameGeometry1796200000000,
  TextTracks1796400000000,
  JobSampling1796500000000,
  Webhooks1796600000000,
  TemporalReuse1796800000000,
  KeyframeSampling1796900000000,
];
