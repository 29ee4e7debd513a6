/** The workflow bundle's entry: every workflow type the control worker runs. */
export { hostWorkflow } from '../entities/host/workflow';
export { computeServiceWorkflow } from '../entities/host/service-workflow';
export { quotaWorkflow } from '../entities/quota/workflow';
export { reservationWorkflow } from '../entities/reservation/workflow';
export { serverWorkflow } from '../entities/server/workflow';
export { flavorCatalogWorkflow } from '../entities/flavor/workflow';
export { quotaClassWorkflow } from '../entities/quota/class-workflow';
