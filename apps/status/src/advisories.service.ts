import { Injectable } from '@nestjs/common';
import { Consume, DeadLetters, type MaxDeliveriesAdvisory } from '@framewire/messaging';

/**
 * The server gave up on a work message: it was delivered MaxDeliver times and
 * never settled (its workers crashed or hung each time). DeadLetters
 * dead-letters it, takes it out of the work queue, and fails its job, so no
 * job waits forever.
 */
@Injectable()
export class AdvisoriesService {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Consume({ kind: 'advisories', mode: 'single' })
  async onMaxDeliveries(adv: MaxDeliveriesAdvisory): Promise<void> {
    await this.deadLetters.giveUpUnsettled(adv);
  }
}
