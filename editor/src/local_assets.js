// tldraw's asset URLs for pages that may fetch nothing from anywhere (the Jupyter widget, the
// export page): fonts, translations and embed icons are the data: URLs the bundler inlines
// (esbuild's dataurl loader), the icons fragments ('#<icon name>') of a blob URL of the merged
// icon sheet (inlined as text), since a data: URL cannot carry a fragment.

import { getAssetUrlsByImport } from '@tldraw/assets/imports'
import iconSheet from '@tldraw/assets/icons/icon/0_merged.svg'

export function localAssetUrls() {
	const sheet = URL.createObjectURL(new Blob([iconSheet], { type: 'image/svg+xml' }))
	const urls = getAssetUrlsByImport()
	const icons = Object.fromEntries(Object.keys(urls.icons).map((name) => [name, `${sheet}#${name}`]))
	return { urls: { ...urls, icons }, revoke: () => URL.revokeObjectURL(sheet) }
}
