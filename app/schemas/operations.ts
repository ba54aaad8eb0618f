// TypeBox schemas of the operational routes: liveness and health.
import { Type } from 'typebox'

export const Ping = Type.Object({ status: Type.Literal('ok') })

export const Healthy = Type.Object({
  status: Type.Literal('ok'),
  database: Type.Object({
    state: Type.Literal('ok'),
    users: Type.Integer({ description: 'Accounts in the database' }),
    dataVersion: Type.String({ description: "Changes with every write to the users table (the ETags' data version)" }),
    schemaVersion: Type.Integer({ description: 'Migrations applied to the database' })
  })
}, { description: 'The database (the SQLite file, or PostgreSQL) can be read' })

export const Unhealthy = Type.Object({
  status: Type.Literal('unavailable'),
  database: Type.Object({
    state: Type.Enum(['missing', 'unreadable', 'not a database', 'not migrated', 'unreachable']),
    reason: Type.String({ description: 'What is wrong, in words' })
  })
}, { description: 'The database file is missing, unreadable or not a database, or PostgreSQL cannot be reached or read' })
