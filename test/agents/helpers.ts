// Shared by the model-backend tests.
import { expect } from 'vitest';
import { ModelCallError } from '../../agents/types';

/** The rejection of a model call, checked to be a one-line ModelCallError; returns its message. */
export async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('expected the model call to fail');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ModelCallError);
  const message = (error as Error).message;
  expect(message).not.toMatch(/\n/);
  return message;
}
