// The workflow bundle's entry (Temporal's workflowsPath): every workflow type.
export { skillWorkflow } from './skill-workflow';
