# Placeholder until the operations issue: a single-stage image that runs the service.
FROM node:20.19-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY app ./app
COPY views ./views
COPY public ./public
COPY scripts ./scripts
RUN mkdir -p database && chown node:node database
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
EXPOSE 3000
USER node
VOLUME /app/database
CMD ["node", "--import", "tsx", "app/server.ts"]
