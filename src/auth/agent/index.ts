/** ssh-agent client (universal; the Unix-socket connector is in ./node.ts). */
export { AgentClient, AgentPrivateKey, FramedStream, type AgentConnector } from './client.js';
export { agentKeyFields, type AgentKeyFields } from './keys.js';
export { AGENT_CHANNEL, AGENT_REQUEST, installAgentForwarding, relay, requestAgentForwarding } from './forward.js';
export { AGENT_CONSTRAIN, AGENT_MSG, AGENT_SIGN_FLAGS, AgentError, signFlags, type AddConstraints, type AgentIdentity } from './protocol.js';
export { agentMethod } from './method.js';
