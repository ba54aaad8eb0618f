# The production image: compile and prune in a build stage, run as `node` from a slim one.

# One Node version for both stages: better-sqlite3's compiled binary must match the runtime.
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# The full bookworm image has python3, make and g++ for better-sqlite3's install script.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/github_users.db
WORKDIR /app
# Created before VOLUME so that a new named volume starts out owned by node: the only place it can
# write (the code below stays root's).
RUN mkdir /data && chown node:node /data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
USER node
VOLUME /data
EXPOSE 3000
# The slim image has neither curl nor wget: Node's fetch asks /health, any other status than 200 fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((res) => process.exit(res.status === 200 ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# node as PID 1 without npm in between, so SIGTERM reaches the server and it exits 0; the same
# command as `npm start` (the heap limit keeps the process small: README, "Memory").
CMD ["node", "--max-old-space-size=96", "dist/app/server.js"]
