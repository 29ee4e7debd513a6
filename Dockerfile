# One image for every novaflow process; the compose file picks the entry point. Compiled JavaScript,
# the workflow code bundled at build time (workers load it instead of bundling at start), no dev
# dependencies, a non-root user.

# --- build: compile TypeScript, bundle the workflows, then drop the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# No postinstall: the Temporal CLI, Keystone and QEMU come from their own images in compose. The
# patches to dependencies (patches/, README "Patched dependencies") are applied, as npm ci does.
RUN npm ci --ignore-scripts && npx patch-package
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts && npm cache clean --force

# --- run
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NOVAFLOW_WORKFLOW_BUNDLE_DIR=/app/dist/workflows \
    NOVAFLOW_API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# jemalloc: the control worker runs on it (LD_PRELOAD in docker-compose.yml; scripts/allocator.ts).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
# State a process keeps (uploaded images, a qemu node's machines) goes to volumes it can write.
RUN mkdir -p /var/lib/novaflow && chown node:node /var/lib/novaflow
USER node
EXPOSE 8774
# The API answers /readyz on its port; a worker on NOVAFLOW_HEALTH_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p = process.env.NOVAFLOW_HEALTH_PORT || process.env.NOVAFLOW_API_PORT || 8774; fetch('http://127.0.0.1:' + p + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
