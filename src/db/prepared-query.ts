import type {
  Compilable,
  CompiledQuery,
  DialectAdapter,
  Expression,
  Insertable,
  InsertObject,
  InsertQueryBuilder,
  InsertResult,
  Kysely,
  OperationNode,
  QueryResult,
  Updateable,
  UpdateObject,
  UpdateResult,
} from 'kysely';
import { ValueNode } from 'kysely';
import type { Database } from './schema.js';

/**
 * A query the checkout runs for every order, built and compiled by Kysely once per dialect and
 * run again with other values: building, freezing and compiling a 20-column insert costs about
 * 20 µs each time, running it far less. The query is written as usual, with a `slot` for each
 * value that changes between runs.
 */
export interface PreparedQuery<Values, Row> {
  execute(db: Kysely<Database>, values: Values): Promise<QueryResult<Row>>;
}

/** Where a prepared query takes one of its values at each run: `values[name]` (or `where[name]`). */
class Slot<T> implements Expression<T> {
  constructor(
    readonly name: string,
    readonly from: 'values' | 'where' = 'values',
  ) {}

  get expressionType(): T | undefined {
    return undefined;
  }

  toOperationNode(): OperationNode {
    return ValueNode.create(this);
  }
}

export type SlotOf<Values> = <Name extends keyof Values & string>(
  name: Name,
) => Expression<Values[Name]>;

/** Compiled queries per dialect (a transaction shares its database's adapter) and per shape. */
function compiledQueries<Row>() {
  const byAdapter = new WeakMap<DialectAdapter, Map<string, CompiledQuery<Row>>>();
  return function compiled(
    db: Kysely<Database>,
    shape: string,
    compile: () => CompiledQuery<Row>,
  ): CompiledQuery<Row> {
    const adapter = db.getExecutor().adapter;
    let shapes = byAdapter.get(adapter);
    if (!shapes) {
      shapes = new Map();
      byAdapter.set(adapter, shapes);
    }
    let query = shapes.get(shape);
    if (!query) {
      query = compile();
      shapes.set(shape, query);
    }
    return query;
  };
}

/** Runs `query` with each slot's value taken from `values` (or `where`). */
function run<Row>(
  db: Kysely<Database>,
  query: CompiledQuery<Row>,
  values: object,
  where: object = {},
): Promise<QueryResult<Row>> {
  const parameters = query.parameters.map((value) =>
    value instanceof Slot
      ? Reflect.get(value.from === 'where' ? where : values, value.name)
      : value,
  );
  return db.executeQuery({ ...query, parameters });
}

/** A slot for each of `columns`, named by it: a whole row's values, or an update's. */
function slotsFor(columns: readonly string[]): Record<string, Slot<unknown>> {
  return Object.fromEntries(columns.map((column) => [column, new Slot(column)]));
}

/**
 * `build` writes the query with a slot for each value; `shapeOf`, when the query's shape depends
 * on the values (the columns an update sets), names the shape, and `build` sees the first values
 * of each shape to know which parts to write.
 */
export function prepareQuery<Values extends object, Row>(
  build: (db: Kysely<Database>, slot: SlotOf<Values>, values: Values) => Compilable<Row>,
  shapeOf: (values: Values) => string = () => '',
): PreparedQuery<Values, Row> {
  const compiled = compiledQueries<Row>();
  const slot: SlotOf<Values> = (name) => new Slot(name);
  return {
    execute: (db, values) =>
      run(
        db,
        compiled(db, shapeOf(values), () => build(db, slot, values).compile()),
        values,
      ),
  };
}

/**
 * An insert of one whole row into `table`, prepared for each set of columns the rows have;
 * `finish` adds what follows the values (`on conflict …`, `returning …`; or nothing), the same
 * for every row.
 */
export function prepareInsert<Table extends keyof Database & string, Row>(
  table: Table,
  finish: (insert: InsertQueryBuilder<Database, Table, InsertResult>) => Compilable<Row>,
): PreparedQuery<Insertable<Database[Table]>, Row> {
  const compiled = compiledQueries<Row>();
  return {
    execute(db, row) {
      const columns = Object.keys(row);
      const query = compiled(db, columns.join(','), () => {
        const slots = slotsFor(columns) as InsertObject<Database, Table>;
        const insert = db.insertInto(table).values(slots);
        return finish(insert).compile();
      });
      return run(db, query, row);
    },
  };
}

/**
 * An update that sets the columns a change holds (those not undefined, as Kysely would),
 * prepared for each set of columns: `build` writes it with `set` (a slot for each) and narrows
 * it with slots of its own, taken from the `where` values of each run.
 */
export function prepareUpdate<Table extends keyof Database & string, Where extends object>(
  build: (
    db: Kysely<Database>,
    set: UpdateObject<Database, Table, Table>,
    slot: SlotOf<Where>,
  ) => Compilable<UpdateResult>,
): {
  execute(
    db: Kysely<Database>,
    set: Updateable<Database[Table]>,
    where: Where,
  ): Promise<QueryResult<UpdateResult>>;
} {
  const compiled = compiledQueries<UpdateResult>();
  const slot: SlotOf<Where> = (name) => new Slot(name, 'where');
  return {
    execute(db, set, where) {
      const changes: Record<string, unknown> = set;
      const columns = Object.keys(changes).filter((column) => changes[column] !== undefined);
      const query = compiled(db, columns.join(','), () =>
        build(db, slotsFor(columns) as UpdateObject<Database, Table, Table>, slot).compile(),
      );
      return run(db, query, changes, where);
    },
  };
}
