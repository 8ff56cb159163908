# saldo's image: the compiled engine (dist/) with its production dependencies, run by node itself.
# Node 24 is what the tests and the benchmarks run (the devDependency `node`); docs/deploy.md.

FROM node:24-slim AS build
WORKDIR /app
# Dependencies first, so that a change of the sources reuses this layer. The postinstall applies
# scripts/patches (kafkajs); classic-level (LevelDB) ships prebuilt binaries for linux-x64/arm64.
COPY package.json package-lock.json .npmrc ./
COPY scripts/patches scripts/patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY processor processor
COPY state state
COPY topologies topologies
COPY schemas schemas
COPY cli cli
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
# jemalloc instead of glibc's malloc (docs/operations.md, "Memory"): glibc kept some 40 MB more of
# what LevelDB and the Kafka client had freed resident in the product benchmark. The link gives one
# path on every architecture; the chart's saldo.allocator=glibc empties LD_PRELOAD.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Read at run time beside the build: the Avro schemas and the default fraud rule set.
COPY schemas/*.avsc schemas/
COPY topologies/fraud/default-rules.json topologies/fraud/default-rules.json
# The image's `node` user (uid 1000); the chart mounts the state volume at /var/lib/saldo.
RUN mkdir -p /var/lib/saldo && chown node:node /var/lib/saldo
USER node
EXPOSE 8080 9464
# node is PID 1 (no npm, no shell in between), so SIGTERM reaches saldo and it stops cleanly:
# finishes the batch, commits, closes its stores and leaves the group.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run", "--topology", "product"]
