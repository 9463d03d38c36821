// The workflow bundle's entry (Temporal's workflowsPath): every workflow type.
export { invocationWorkflow } from './invocation-workflow';
export { skillWorkflow } from './skill-workflow';
export { storeRequestWorkflow } from './store-request-workflow';
