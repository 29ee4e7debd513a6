import path from 'node:path';
import { imagePropertiesView } from './view';
import type { NovaExtension } from '../types';
import { imageRoutes, imageVersions } from './routes';
import { validateImage } from './validate';
import { Register } from './routes';

const READ = 'role:reader or rule:context_is_admin';

/**
 * images: novaflow's image catalog across every layer — shipped images plus those admins register (an
 * `image-catalog` entity), a Glance v2 API registered in Keystone's catalog as the `image` service (so
 * `openstack image list` and `server create --image NAME` work), and Nova's checks of a create's image.
 */
export const imagesExtension: NovaExtension = {
  descriptor: {
    name: 'Images',
    alias: 'images',
    description:
      'Image catalog with a Glance v2 API; creates check their image exists, is active and fits the flavor.',
    updated: '2026-12-01T00:00:00Z',
  },
  api: {
    operations: [
      {
        method: 'get',
        path: '/image/',
        summary: 'Image API versions',
        public: true,
        tag: 'images',
        status: 300,
      },
      { method: 'get', path: '/image/v2/images', summary: 'List images', tag: 'images' },
      { method: 'get', path: '/image/v2/images/:id', summary: 'Show an image', tag: 'images' },
      {
        method: 'post',
        path: '/image/v2/images',
        summary: 'Create an image',
        body: Register,
        status: 201,
        tag: 'images',
      },
      { method: 'delete', path: '/image/v2/images/:id', summary: 'Delete an image', tag: 'images' },
      {
        method: 'put',
        path: '/image/v2/images/:id/file',
        summary: "Upload an image's data",
        bodyType: 'application/octet-stream',
        status: 204,
        tag: 'images',
      },
      {
        method: 'get',
        path: '/image/v2/images/:id/file',
        summary: "Download an image's data",
        tag: 'images',
      },
    ],
    decorators: [imagePropertiesView],
    validateCreate: validateImage,
    services: [
      { type: 'image', name: 'glance', path: '/image', routes: imageRoutes, versions: imageVersions },
    ],
    policies: [
      {
        name: 'get_images',
        check: READ,
        description: 'List images.',
        operations: [{ method: 'GET', path: '/v2/images' }],
      },
      {
        name: 'get_image',
        check: READ,
        description: 'Show an image.',
        operations: [{ method: 'GET', path: '/v2/images/:id' }],
      },
      {
        name: 'add_image',
        check: 'rule:project_member_or_admin',
        description: 'Register an image.',
        operations: [{ method: 'POST', path: '/v2/images' }],
      },
      {
        name: 'upload_image',
        check: 'rule:project_member_or_admin',
        description: "Upload an image's data (it becomes active).",
        operations: [{ method: 'PUT', path: '/v2/images/:id/file' }],
      },
      {
        name: 'download_image',
        check: READ,
        description: "Download an image's data.",
        operations: [{ method: 'GET', path: '/v2/images/:id/file' }],
      },
      {
        name: 'delete_image',
        check: 'rule:project_member_or_admin',
        description: 'Delete an image.',
        operations: [{ method: 'DELETE', path: '/v2/images/:id' }],
      },
    ],
  },
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
};

export default imagesExtension;
