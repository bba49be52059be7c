/** An error the Route 53 emulator answers with: HTTP status plus the `<Code>` and `<Message>` of an ErrorResponse. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
