/** One chat message in the OpenAI chat-completions shape the runtime speaks. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export interface ChatResponse {
  message: { content: string | null; toolCalls: ToolCall[] };
  finishReason: string;
  /** `estimated` is true when the server reported no usage and the counts are a chars/4 guess. */
  usage: { inputTokens: number; outputTokens: number; estimated?: boolean };
  model: string;
}

/** A model server the runtime can think through. */
export interface ChatBackend {
  readonly name: string;
  readonly model: string;
  chat(req: ChatRequest): Promise<ChatResponse>;
}
