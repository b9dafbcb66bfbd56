/**
 * Whether two types are the same: the compile-time tie between a type declared apart from the
 * contract and the contract's own (src/domain/wire-shapes.ts holds the ties; test/protocol proves
 * the check refuses drift). Assignability both ways would not do: `{ a: string }` and
 * `{ a: string; b?: string }` are assignable each to the other, yet a field was added. This asks the
 * compiler's identity check instead, so an added optional field, an optional made required, a
 * nullable or a widened literal each make it false.
 */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given `true`: `AssertTrue<Equals<Mine, z.output<typeof TheirSchema>>>`. */
export type AssertTrue<T extends true> = T;
