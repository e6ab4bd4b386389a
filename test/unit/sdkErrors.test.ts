import {
  ReplicatedWriteConflictException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { isRejection } from '../../lambda/session/src/sdkErrors';

/** DynamoDB's answer to a write that met another Region's write (MRSC), as the SDK deserializes it. */
function replicatedWriteConflict(): ReplicatedWriteConflictException {
  return new ReplicatedWriteConflictException({
    message: 'Write conflict with a concurrent write in another Region',
    $metadata: { httpStatusCode: 400 },
  });
}

describe('isRejection', () => {
  it('is false for a ReplicatedWriteConflictException: a 400 the model marks retryable is an outage', () => {
    const conflict = replicatedWriteConflict();
    expect(conflict.$fault).toBe('client'); // what would make it a rejection without the trait
    expect(conflict.$retryable).toBeDefined();
    expect(isRejection(conflict)).toBe(false);
  });

  it('decides by the retryable trait, not by the name: the same 400 without the trait is refused for good', () => {
    const { $retryable: _trait, ...untraited } = replicatedWriteConflict();
    expect(untraited.name).toBe('ReplicatedWriteConflictException');
    expect(isRejection(untraited)).toBe(true);
  });

  it.each([
    {
      label: 'ResourceNotFoundException (no table)',
      rejected: true,
      error: new ResourceNotFoundException({ message: 'no table', $metadata: { httpStatusCode: 400 } }),
    },
    {
      label: 'ThrottlingException',
      rejected: false,
      error: new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }),
    },
    {
      label: 'no answer (a network error)',
      rejected: false,
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    },
  ])('$label: rejected $rejected', ({ error, rejected }) => {
    expect(isRejection(error)).toBe(rejected);
  });
});
