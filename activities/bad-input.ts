// Bad input is never retried: a store's validation error becomes a
// non-retryable ApplicationFailure; everything else (model, store) is retried
// with backoff by the workflows' retry policies.
import { ApplicationFailure } from '@temporalio/common';
import { StoreValidationError } from '../store/types';
import { FailureTypes } from './types';

export async function failFastOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureTypes.InvalidInput);
    throw err;
  }
}
