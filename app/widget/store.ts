import { create } from 'zustand';
import type { NodeStatus } from '../../src/node/api';

/** The consent prompt on screen: which origin asks (null: an embedder whose origin is unknown). */
export interface ConsentPrompt {
  origin: string | null;
  answer(allow: boolean): void;
}

export interface WidgetState {
  status: NodeStatus | null;
  prompt: ConsentPrompt | null;
  busy: boolean;
  /** The last thing that went wrong in the widget itself, in words. */
  error: string | null;
  /** Problems with the widget's URL (bad ?hosts= entries, bad node options). */
  warnings: readonly string[];
  /** The origin the widget works for: the embedder, as the browser reports it. */
  embedder: string | null;
  /** Whether the user allowed the embedder before (remembered in this browser). */
  consented: boolean;
}

export const useWidgetStore = create<WidgetState>()(() => ({
  status: null,
  prompt: null,
  busy: false,
  error: null,
  warnings: [],
  embedder: null,
  consented: false,
}));

/** Shows the prompt and resolves with the user's answer. */
export function askConsent(origin: string | null): Promise<boolean> {
  return new Promise((resolve) => {
    useWidgetStore.setState({
      prompt: {
        origin,
        answer(allow) {
          useWidgetStore.setState({ prompt: null });
          resolve(allow);
        },
      },
    });
  });
}
